// WeChat's privacy rules ("__usePrivacyCheck__": true in app.json): before the mini-program collects personal
// data, the person must agree to its privacy guide (《小程序隐私保护指引》) in a popup of our own with
// WeChat's agree button (open-type="agreePrivacyAuthorization"). WeChat calls the listener registered with
// wx.onNeedPrivacyAuthorization when a privacy API is used first; the login page also asks before it collects
// the ID number and name (ensure()). The popup component (components/privacy-popup) registers itself here.
const popups = []
let waiting = [] // {resolve, reject, wechatResolve}

function show() {
  const popup = popups[popups.length - 1]
  if (popup) popup.open()
}

function settle(agreed, buttonId) {
  const all = waiting
  waiting = []
  for (const w of all) {
    if (w.wechatResolve) w.wechatResolve(agreed ? { event: 'agree', buttonId } : { event: 'disagree' })
    if (agreed) w.resolve()
    else w.reject(new Error('需要同意隐私保护指引后才能继续。'))
  }
}

function init() {
  if (typeof wx.onNeedPrivacyAuthorization !== 'function') return
  wx.onNeedPrivacyAuthorization((wechatResolve) => {
    waiting.push({ resolve: () => {}, reject: () => {}, wechatResolve })
    show()
  })
}

/** Resolves once the person has agreed (at once if they had); rejects if they decline. */
function ensure() {
  return new Promise((resolve, reject) => {
    if (typeof wx.getPrivacySetting !== 'function') {
      resolve() // a base library older than the privacy rules: nothing to ask
      return
    }
    wx.getPrivacySetting({
      success: (res) => {
        if (!res.needAuthorization) {
          resolve()
          return
        }
        waiting.push({ resolve, reject })
        show()
      },
      fail: () => resolve(),
    })
  })
}

function register(popup) {
  popups.push(popup)
}

function unregister(popup) {
  const i = popups.indexOf(popup)
  if (i >= 0) popups.splice(i, 1)
}

module.exports = { init, ensure, register, unregister, agreed: (id) => settle(true, id), declined: () => settle(false) }
