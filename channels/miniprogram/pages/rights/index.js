// 权益查询 (LD/T 01 5.2.2, 5.4.3 d): the registrations and the personal account (GET /api/v1/rights), the
// contributions month by month (paged, "加载更多"), the benefits paid, and the pension estimate with the
// person's own record as its defaults. Queries are free and change nothing (Regulation Art. 32).
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

const TABS = [
  { id: 'overview', name: '参保概况' },
  { id: 'contributions', name: '缴费记录' },
  { id: 'benefits', name: '待遇发放' },
  { id: 'estimate', name: '养老金测算' },
]
const PAGE_SIZE = 12

Component({
  data: {
    tabs: TABS,
    tab: 'overview',
    overview: null,
    contributions: [],
    contributionPage: 0,
    contributionPages: 1,
    contributionTotal: 0,
    benefits: [],
    benefitsLoaded: false,
    estimate: null,
    estimateInput: {},
    errors: [],
    elder: false,
  },
  methods: {
    onShow() {
      elder.sync(this)
      if (this.data.overview) return Promise.resolve()
      return api
        .request({ path: '/api/v1/rights' })
        .then((overview) => this.setData({ overview }))
        .catch(() => null)
    },
    onTab(e) {
      const tab = e.currentTarget.dataset.id
      this.setData({ tab, errors: [] })
      if (tab === 'contributions' && !this.data.contributionPage) return this.onMore()
      if (tab === 'benefits' && !this.data.benefitsLoaded) return this.loadBenefits()
      if (tab === 'estimate' && !this.data.estimate) return this.onEstimate()
      return Promise.resolve()
    },
    onMore: guard.once(function onMore() {
      const page = this.data.contributionPage + 1
      return api
        .request({ path: '/api/v1/rights/contributions', params: { page, page_size: PAGE_SIZE } })
        .then((body) =>
          this.setData({
            contributions: [...this.data.contributions, ...body.contributions],
            contributionPage: body.page,
            contributionPages: body.pages,
            contributionTotal: body.total,
          }),
        )
        .catch(() => null)
    }),
    loadBenefits() {
      return api
        .request({ path: '/api/v1/rights/benefits', params: { page: 1, page_size: 50 } })
        .then((body) => this.setData({ benefits: body.benefits, benefitsLoaded: true }))
        .catch(() => this.setData({ benefitsLoaded: true }))
    },
    onEstimateInput(e) {
      this.setData({ [`estimateInput.${e.currentTarget.dataset.name}`]: e.detail.value })
    },
    onEstimate: guard.once(function onEstimate() {
      return api
        .request({ path: '/api/v1/pension-estimate', params: this.data.estimateInput, quiet: true })
        .then((estimate) => this.setData({ estimate, errors: [] }))
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
  },
})
