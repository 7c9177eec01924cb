// Home (tab "首页"): opens without a login. Public content first — the guides of what can be handled here,
// the service halls, help search and certificate checks; the personal sections (bookings, progress,
// certificates, inbox) ask for a login when tapped and come back afterwards (utils/auth.js).
const api = require('../../utils/api')
const auth = require('../../utils/auth')
const elder = require('../../utils/elder')

const PUBLIC = [
  { id: 'guides', name: '办事指南', hint: '能办什么、要带什么、多久办好', url: '/pages/guides/index' },
  { id: 'halls', name: '服务网点', hint: '地址、电话、办公时间、导航', url: '/pages/halls/index' },
  { id: 'verify', name: '证明核验', hint: '扫码或输入防伪码，查证明真伪', url: '/pages/verify/index' },
  { id: 'consult', name: '咨询留言', hint: '咨询、建议、投诉，限时答复', url: '/pages/consult/index' },
]
const PERSONAL = [
  { id: 'apply', name: '网上申请', hint: '填写、上传材料、提交，三步办理', url: '/pages/apply/index' },
  { id: 'appointments', name: '预约办理', hint: '预约到服务大厅窗口办理', url: '/pages/appointments/index' },
  { id: 'progress', name: '办理进度', hint: '我的申请办到哪一步了', url: '/pages/progress/index' },
  { id: 'certificates', name: '证明打印', hint: '参保证明、缴费记录（电子印章）', url: '/pages/certificates/index' },
  { id: 'rights', name: '权益查询', hint: '参保、缴费、个人账户、待遇、养老金测算', url: '/pages/rights/index' },
  { id: 'card', name: '社会保障卡', hint: '卡片状态、挂失', url: '/pages/card/index' },
  { id: 'inbox', name: '站内信', hint: '预约、办理结果等通知', url: '/pages/inbox/index' },
]
const GUIDES_ON_HOME = 5

function badgeText(unread) {
  return unread > 99 ? '99+' : String(unread)
}

Component({
  data: {
    publicEntries: PUBLIC,
    entries: PERSONAL,
    guides: [],
    guideCount: 0,
    query: '',
    loggedIn: false,
    unread: 0,
    badge: '',
    inboxLabel: '站内信',
    greeting: '',
    maintenance: [],
    elder: false,
  },
  methods: {
    onShow() {
      elder.sync(this)
      const loggedIn = api.loggedIn()
      this.setData({ loggedIn })
      if (!loggedIn) this.setData({ greeting: '', unread: 0, badge: '', inboxLabel: '站内信' })
      return Promise.all([this.loadGuides(), this.loadStatus(), loggedIn ? this.refresh() : null])
    },
    // LD/T 01 6.5.3: announced maintenance of the core system is shown before anyone starts a service.
    loadStatus() {
      return api.request({ path: '/api/v1/service-status', auth: false, quiet: true }).then(
        (body) => this.setData({ maintenance: body.maintenance }),
        () => null,
      )
    },
    onPullDownRefresh() {
      return this.onShow().then(() => wx.stopPullDownRefresh())
    },
    loadGuides() {
      if (this.data.guides.length) return Promise.resolve()
      return api.request({ path: '/api/v1/catalog', auth: false, quiet: true }).then(
        (body) => this.setData({ guides: body.items.slice(0, GUIDES_ON_HOME), guideCount: body.items.length }),
        () => null,
      )
    },
    refresh() {
      const me = api.request({ path: '/api/v1/auth/me', quiet: true }).then(
        (who) => this.setData({ greeting: `您好，${who.name}` }),
        () => null,
      )
      const inbox = api.request({ path: '/api/v1/inbox', params: { page_size: 1 }, quiet: true }).then(
        (page) => this.setUnread(page.unread),
        () => null,
      )
      return Promise.all([me, inbox])
    },
    setUnread(unread) {
      this.setData({
        unread,
        badge: unread > 0 ? badgeText(unread) : '',
        inboxLabel: unread > 0 ? `站内信，${unread}条未读` : '站内信，没有未读消息',
      })
    },
    onQuery(e) {
      this.setData({ query: e.detail.value })
    },
    onSearch() {
      const q = (this.data.query || '').trim()
      wx.navigateTo({ url: q ? `/pages/help/index?q=${encodeURIComponent(q)}` : '/pages/help/index' })
    },
    onOpenPublic(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url })
    },
    onOpenGuide(e) {
      wx.navigateTo({ url: `/pages/guides/detail?id=${encodeURIComponent(e.currentTarget.dataset.id)}` })
    },
    // A personal section: straight there when logged in, else through the login page and back.
    onOpen(e) {
      auth.open(e.currentTarget.dataset.url)
    },
  },
})
