// Certificates (LD/T 01 5.4.2): choose a document (and the months where it has a period), then view it.
// The PDF carries the agency's electronic seal and an anti-forgery code anyone can check at /verify/.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

Component({
  data: { documents: [], periods: {}, opening: '', loaded: false },
  methods: {
    onShow() {
      elder.sync(this)
      return api
        .request({ path: '/api/v1/certificates' })
        .then((body) => {
          const periods = {}
          body.documents.forEach((d) => {
            if (d.default_period) periods[d.kind] = { ...d.default_period }
          })
          this.setData({
            documents: body.documents.map((d) => ({ ...d, openLabel: `查看${d.label}` })),
            periods,
            loaded: true,
          })
        })
        .catch(() => this.setData({ loaded: true }))
    },
    onPeriod(e) {
      const { kind, end } = e.currentTarget.dataset
      this.setData({ [`periods.${kind}.${end ? 'end' : 'start'}`]: e.detail.value })
    },
    onOpen(e) {
      const kind = e.currentTarget.dataset.kind
      const doc = this.data.documents.find((d) => d.kind === kind)
      const params = doc.needs_period ? this.data.periods[kind] : {}
      this.setData({ opening: kind })
      wx.showLoading({ title: '正在盖章生成', mask: true })
      return api
        .openPdf(doc.download_url, params)
        .then(
          () => wx.hideLoading(),
          () => wx.hideLoading(),
        )
        .then(() => this.setData({ opening: '' }))
    },
  },
})
