// 网上申请 (LD/T 01 5.3): the items that can be applied for online, from the gateway (GET /api/v1/apply/items).
// Choosing one opens the three steps (pages/apply/form).
const api = require('../../utils/api')
const elder = require('../../utils/elder')

const KINDS = { instant: '即办件', promised: '承诺件', appointment: '预约办理' }

Component({
  data: { items: [], loaded: false, elder: false },
  methods: {
    onShow() {
      elder.sync(this)
      if (this.data.loaded) return Promise.resolve()
      return api
        .request({ path: '/api/v1/apply/items', auth: false })
        .then((body) =>
          this.setData({
            items: body.items.map((i) => ({
              ...i,
              kind: KINDS[i.handling_kind] || '',
              level: i.assurance_level >= 3 ? '需实名核验' : '',
            })),
            loaded: true,
          }),
        )
        .catch(() => this.setData({ loaded: true }))
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/apply/form?item=${encodeURIComponent(e.currentTarget.dataset.id)}` })
    },
  },
})
