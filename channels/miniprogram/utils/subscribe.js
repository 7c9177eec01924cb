// WeChat subscribe messages (订阅消息): WeChat delivers a mini-program's message only to a user who allowed its
// template, one message per "允许". Right after a booking the page offers to send the reminder and any
// cancellation this way: prepare() fetches the template ids the gateway uses (never hard-coded here), and
// request() — called from the person's tap, as WeChat requires — asks, then tells the gateway what was allowed,
// proving who allowed it with a fresh wx.login code.
const api = require('./api')

function prepare(scene) {
  return api
    .request({ path: '/api/v1/subscriptions/templates', auth: false, quiet: true })
    .then((body) => {
      const found = body.scenes.find((s) => s.scene === scene)
      return found ? found.templates.map((t) => t.template_id) : []
    })
}

function login() {
  return new Promise((resolve, reject) => {
    wx.login({ success: (res) => resolve(res.code), fail: () => reject(new Error('微信登录失败')) })
  })
}

/** Ask for `tmplIds`; resolves with the ids the person allowed (recorded at the gateway). */
function request(tmplIds) {
  if (!tmplIds || !tmplIds.length) return Promise.resolve([])
  return new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds,
      success: (res) => resolve(tmplIds.filter((id) => res[id] === 'accept')),
      fail: () => resolve([]), // the person closed the dialog or turned messages off: no messages, no error
    })
  }).then((accepted) => {
    if (!accepted.length) return accepted
    return login()
      .then((code) => api.request({ path: '/api/v1/subscriptions', method: 'POST', data: { code, accepted } }))
      .then(() => accepted)
  })
}

module.exports = { prepare, request }
