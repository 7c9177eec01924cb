// Public content first, login only when an action needs it: open(url) goes straight to a page that needs a
// login when the person is logged in, and otherwise to the login page, which comes back to `url` afterwards.
const api = require('./api')

const LOGIN = '/pages/login/login'
const TABS = ['/pages/index/index', '/pages/mine/index']

function loginUrl(next) {
  return next ? `${LOGIN}?next=${encodeURIComponent(next)}` : LOGIN
}

function open(url) {
  if (api.loggedIn()) wx.navigateTo({ url })
  else wx.navigateTo({ url: loginUrl(url) })
}

/** After a login: back to where the person was going (a tab is switched to, a page replaces the login). */
function returnTo(next) {
  const target = next && next.startsWith('/pages/') ? next : '/pages/index/index'
  if (TABS.includes(target.split('?')[0])) wx.switchTab({ url: target.split('?')[0] })
  else wx.redirectTo({ url: target })
}

module.exports = { open, returnTo, loginUrl, TABS }
