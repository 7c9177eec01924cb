// 社保网上经办 mini-program. Pages talk to the gateway only through utils/api.js.
const api = require('./utils/api')

App({
  onLaunch() {
    // Nobody logged in yet (or the login was revoked): start at the login page.
    if (!api.loggedIn()) wx.reLaunch({ url: '/pages/login/login' })
  },
})
