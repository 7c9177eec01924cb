// One application with its timeline (LD/T 01 5.2.1 b) and, when materials are missing, the one notice
// that lists all of them together (GB/T 31621 6.2.1.3). The receipts the gateway names (acceptance and result
// notices, the transfer voucher: sealed PDFs) open in WeChat's document viewer; an application that may still be
// withdrawn offers that after its warning is confirmed (LD/T 01 5.3.2); one waiting for materials leads to
// answering the notice (pages/progress/supplement).
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

const RECEIPTS = {
  acceptance_notice: '受理通知单',
  result_notice: '结果告知单',
  transfer_voucher: '参保缴费凭证',
}

function shown(app) {
  return {
    ...app,
    timeline: app.timeline.map((t) => ({ ...t, when: t.at.replace('T', ' ').slice(0, 16) })),
    receiptList: (app.receipts || []).map((kind) => ({ kind, label: RECEIPTS[kind] || kind })),
  }
}

Component({
  data: { app: null, number: '', elder: false },
  methods: {
    onShow() {
      elder.sync(this)
      // Back from answering the notice: show where the application stands now.
      return this.data.app ? this.load() : Promise.resolve()
    },
    onLoad(query) {
      this.setData({ number: query.number })
      return this.load()
    },
    load() {
      return api
        .request({ path: `/api/v1/applications/${encodeURIComponent(this.data.number)}` })
        .then((app) => this.setData({ app: shown(app) }))
        .catch(() => null)
    },
    // An appointment item pre-reviewed online: its window visit is booked next (the originals are checked there).
    onBookWindow() {
      wx.navigateTo({ url: `/pages/appointments/book?item=${encodeURIComponent(this.data.app.item.id)}` })
    },
    onSupplement() {
      wx.navigateTo({ url: `/pages/progress/supplement?number=${encodeURIComponent(this.data.app.number)}` })
    },
    onReceipt: guard.once(function onReceipt(e) {
      const kind = e.currentTarget.dataset.kind
      return api
        .openPdf(`/api/v1/applications/${encodeURIComponent(this.data.app.number)}/receipts/${kind}`)
        .catch(() => null)
    }),
    onWithdraw: guard.once(function onWithdraw() {
      const app = this.data.app
      return new Promise((resolve) => {
        wx.showModal({
          title: '撤回申请',
          content: app.withdraw_warning,
          confirmText: '确认撤回',
          cancelText: '不撤回',
          success: (res) => resolve(res.confirm),
          fail: () => resolve(false),
        })
      }).then((yes) => {
        if (!yes) return null
        return api
          .request({
            path: `/api/v1/applications/${encodeURIComponent(app.number)}/withdraw`,
            method: 'POST',
            data: { confirm_risk: true },
          })
          .then((done) => {
            this.setData({ app: shown(done) })
            wx.showToast({ title: '申请已撤回', icon: 'success' })
          })
          .catch(() => null)
      })
    }),
  },
})
