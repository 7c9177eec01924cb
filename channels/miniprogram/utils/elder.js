// 长辈版 (elder mode): larger type, high contrast and simpler pages, switched on in "我的" and kept on this
// phone. Pages call sync(this) when shown and put class "{{elder ? 'elder' : ''}}" on their root view; the
// .elder rules are in app.wxss.
const KEY = 'shebao_elder_mode'

function enabled() {
  return wx.getStorageSync(KEY) === true
}

function set(on) {
  wx.setStorageSync(KEY, Boolean(on))
}

function sync(page) {
  const on = enabled()
  if (page.data.elder !== on) page.setData({ elder: on })
  return on
}

module.exports = { enabled, set, sync, KEY }
