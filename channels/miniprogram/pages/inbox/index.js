// The inbox (LD/T 01 5.4.4): newest first, unread marked; opening a message marks it read.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

const PAGE_SIZE = 20

Component({
  data: { items: [], unread: 0, total: 0, page: 1, pages: 1, loaded: false },
  methods: {
    onShow() {
      elder.sync(this)
      return this.load(1)
    },
    onReachBottom() {
      if (this.data.page < this.data.pages) return this.load(this.data.page + 1)
      return Promise.resolve()
    },
    load(page) {
      return api
        .request({ path: '/api/v1/inbox', params: { page, page_size: PAGE_SIZE } })
        .then((body) => {
          const items = body.items.map((m) => ({
            ...m,
            label: `${m.read ? '已读' : '未读'}：${m.title}，${m.delivered_at.replace('T', ' ')}`,
          }))
          this.setData({
            items: page === 1 ? items : this.data.items.concat(items),
            unread: body.unread,
            total: body.total,
            page: body.page,
            pages: body.pages,
            loaded: true,
          })
        })
        .catch(() => this.setData({ loaded: true }))
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/inbox/detail?id=${e.currentTarget.dataset.id}` })
    },
  },
})
