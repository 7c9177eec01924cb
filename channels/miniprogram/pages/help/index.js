// 常见问题 (level 2, no login): the knowledge base — the best answer (GET /api/v1/help/answer), or, when it is
// not sure, the closest entries (GET /api/v1/help/search) and where to ask a person.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

Component({
  data: { query: '', answer: null, related: [], results: [], searched: false, errors: [], elder: false },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad(query) {
      if (query && query.q) {
        this.setData({ query: query.q })
        return this.onSearch()
      }
      return Promise.resolve()
    },
    onQuery(e) {
      this.setData({ query: e.detail.value })
    },
    onSearch: guard.once(function onSearch() {
      const q = (this.data.query || '').trim()
      if (!q) {
        this.setData({ errors: ['请输入要咨询的问题。'] })
        return Promise.resolve()
      }
      this.setData({ errors: [] })
      const answer = api.request({ path: '/api/v1/help/answer', params: { q }, auth: false, quiet: true })
      const search = api.request({ path: '/api/v1/help/search', params: { q }, auth: false, quiet: true })
      return Promise.all([answer.catch(() => null), search.catch(() => ({ results: [] }))]).then(([reply, found]) =>
        this.setData({
          searched: true,
          answer: reply && reply.answer ? reply.answer : null,
          related: reply ? reply.related || [] : [],
          results: reply && reply.answer ? [] : found.results,
        }),
      )
    }),
    onChat() {
      wx.navigateTo({ url: '/pages/consult/chat' })
    },
    onCall() {
      wx.makePhoneCall({ phoneNumber: '12333' })
    },
  },
})
