// Home: the four sections (level 2 each) and the inbox's unread count.
const api = require('../../utils/api')

const ENTRIES = [
  { id: 'appointments', name: '预约办理', hint: '预约到服务大厅窗口办理', url: '/pages/appointments/index' },
  { id: 'progress', name: '办理进度', hint: '我的申请办到哪一步了', url: '/pages/progress/index' },
  { id: 'certificates', name: '证明打印', hint: '参保证明、缴费记录（电子印章）', url: '/pages/certificates/index' },
  { id: 'inbox', name: '站内信', hint: '预约、办理结果等通知', url: '/pages/inbox/index' },
]

function badgeText(unread) {
  return unread > 99 ? '99+' : String(unread)
}

Component({
  data: {
    entries: ENTRIES,
    unread: 0,
    badge: '',
    inboxLabel: '站内信',
    greeting: '',
  },
  methods: {
    onShow() {
      if (!api.loggedIn()) {
        wx.reLaunch({ url: '/pages/login/login' })
        return Promise.resolve()
      }
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
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
    onOpen(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url })
    },
  },
})
