// 证明核验 (level 2, no login): scan the QR code on a certificate (wx.scanCode) or type its anti-forgery
// code, and ask the gateway whether it is genuine (GET /api/v1/verify?code=…, LD/T 01 5.4.2.4).
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

// The QR holds the public verification address with ?code=…; a bare code is taken as it is.
function codeFrom(text) {
  const value = String(text || '').trim()
  const match = /[?&]code=([^&#]+)/.exec(value)
  return (match ? decodeURIComponent(match[1]) : value).toUpperCase()
}

Component({
  data: { code: '', result: null, errors: [], elder: false },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onCode(e) {
      this.setData({ code: e.detail.value.trim().toUpperCase() })
    },
    onScan() {
      wx.scanCode({
        onlyFromCamera: false,
        scanType: ['qrCode'],
        success: (res) => {
          this.setData({ code: codeFrom(res.result) })
          this.onCheck()
        },
        fail: () => this.setData({ errors: ['未能识别二维码，可以直接输入证明上的防伪码。'] }),
      })
    },
    onCheck: guard.once(function onCheck() {
      if (!this.data.code) {
        this.setData({ errors: ['请输入防伪码，或扫描证明上的二维码。'], result: null })
        return Promise.resolve()
      }
      this.setData({ errors: [] })
      return api
        .request({ path: '/api/v1/verify', params: { code: this.data.code }, auth: false, quiet: true })
        .then((body) => this.setData({ result: body }))
        .catch((err) => {
          // "Not found" is an answer, not a failure: show it as the result.
          if (err.status === 404 && err.body && err.body.message) this.setData({ result: err.body })
          else this.setData({ errors: [err.message], result: null })
        })
    }),
  },
})
