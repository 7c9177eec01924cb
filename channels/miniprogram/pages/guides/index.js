// 办事指南 (level 2, no login): every item this mini-program can handle, from the gateway's catalog
// (GET /api/v1/catalog answers for the calling channel), grouped by section.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

Component({
  data: { items: [], loaded: false, elder: false },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad() {
      return api
        .request({ path: '/api/v1/catalog', auth: false })
        .then((body) => this.setData({ items: body.items, loaded: true }))
        .catch(() => this.setData({ loaded: true }))
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/guides/detail?id=${encodeURIComponent(e.currentTarget.dataset.id)}` })
    },
  },
})
