// Reaching assurance level 3 (real-name check, LD/T 01 5.4.1.5) for an item that needs it: the gateway starts an
// e-SSC check (POST /api/v1/auth/step-up/essc) and the person confirms with their e-SSC on the platform's page,
// opened here in a web-view (a registered mini-program hands over to the e-SSC mini-program with
// wx.navigateToMiniProgram instead; the gateway side is the same). The page polls the result; the gateway collects
// the code server to server and answers level-3 tokens for this phone, then the page goes back to the item.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

const POLL_MS = 2000

Component({
  data: { url: '', pollToken: '', state: 'starting', message: '', elder: false },
  methods: {
    onLoad() {
      return this.start()
    },
    onShow() {
      elder.sync(this)
    },
    onUnload() {
      this.stop()
    },
    start() {
      this.stop()
      return api
        .request({ path: '/api/v1/auth/step-up/essc', method: 'POST' })
        .then((body) => {
          this.setData({ url: body.authorize_url, pollToken: body.poll_token, state: 'waiting', message: '' })
          this.timer = setInterval(() => this.poll(), POLL_MS)
        })
        .catch((err) => this.setData({ state: 'failed', message: err.message }))
    },
    stop() {
      if (this.timer) clearInterval(this.timer)
      this.timer = null
    },
    poll() {
      if (this.data.state !== 'waiting' || this.polling) return Promise.resolve()
      this.polling = true
      return api
        .request({
          path: '/api/v1/auth/step-up/essc/status',
          method: 'POST',
          data: { poll_token: this.data.pollToken },
          quiet: true,
        })
        .then((body) => {
          if (body.status === 'pending') return
          this.stop()
          if (body.status === 'ok') {
            api.saveTokens(body)
            this.setData({ state: 'done', url: '' })
            wx.showToast({ title: '实名核验通过', icon: 'success' })
            wx.navigateBack()
          } else {
            this.setData({ state: 'failed', url: '', message: body.message || '核验已过期，请重新开始。' })
          }
        })
        .catch((err) => {
          this.stop()
          this.setData({ state: 'failed', url: '', message: err.message })
        })
        .finally(() => {
          this.polling = false
        })
    },
    onRetry() {
      return this.start()
    },
  },
})
