// 社会保障卡 (LD/T 01 5.4.3 e): the card's status (GET /api/v1/card) and, for a card in use, reporting it lost
// (POST /api/v1/card/report-loss). Suspending the card is risky, so its warning is shown and confirmed first
// (LD/T 01 5.3.2); the gateway has the back office suspend it at once, or sends the person to 12333.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

Component({
  data: { card: null, loaded: false, elder: false },
  methods: {
    onShow() {
      elder.sync(this)
      return api
        .request({ path: '/api/v1/card' })
        .then((card) => this.setData({ card, loaded: true }))
        .catch(() => this.setData({ loaded: true }))
    },
    onReportLoss: guard.once(function onReportLoss() {
      return new Promise((resolve) => {
        wx.showModal({
          title: '社会保障卡挂失',
          content: this.data.card.loss_warning,
          confirmText: '确认挂失',
          cancelText: '不挂失',
          success: (res) => resolve(res.confirm),
          fail: () => resolve(false),
        })
      }).then((yes) => {
        if (!yes) return null
        return api
          .request({ path: '/api/v1/card/report-loss', method: 'POST', data: { confirm_risk: true } })
          .then((card) => {
            this.setData({ card })
            wx.showToast({ title: '已挂失', icon: 'success' })
          })
          .catch(() => null)
      })
    }),
    onCall() {
      wx.makePhoneCall({ phoneNumber: '12333' })
    },
  },
})
