// 社保网上经办 mini-program. Pages talk to the gateway only through utils/api.js. Public content (guides,
// halls, help, certificate checks) opens without a login; an action that needs one goes to the login page and
// back (utils/auth.js).
const privacy = require('./utils/privacy')

App({
  onLaunch() {
    privacy.init() // WeChat asks through this listener before a privacy API is first used
  },
})
