// One guide (level 3, no login): materials, the handling flow step by step (LD/T 01 5.6.2), time limit, fees,
// where to handle and ask — the same GET /api/v1/catalog/{id} the web's guide page is written from.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

const KINDS = { instant: '即时办结', promised: '承诺时限办结', appointment: '预约后到窗口办理' }

Component({
  data: { item: null, kindLabel: '', elder: false },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad(query) {
      return api
        .request({ path: `/api/v1/catalog/${encodeURIComponent(query.id || '')}`, auth: false })
        .then((item) => this.setData({ item, kindLabel: KINDS[item.handling_kind] || '' }))
        .catch(() => null)
    },
    onCall() {
      wx.makePhoneCall({ phoneNumber: this.data.item.consult.phone })
    },
  },
})
