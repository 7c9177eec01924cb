// 登录记录 (LD/T 01 6.2.5 e): when, how, from which channel and from which (masked) address the account was
// logged into, newest first, a page at a time (GET /api/v1/account/logins). Times are Beijing time as the API
// gives them.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')
const time = require('../../utils/time')

const PAGE_SIZE = 20
const EVENTS = {
  login: '登录成功',
  login_failed: '登录失败',
  locked: '账号锁定',
  unlocked: '账号解锁',
  logout: '退出登录',
  step_up: '提升安全级别',
}

function line(entry) {
  const at = time.shown(entry.at)
  const event = EVENTS[entry.event] || '登录'
  return {
    ...entry,
    atText: at,
    eventText: event,
    label: `${at}，${event}，${entry.method || ''}，${entry.channel || ''}`,
  }
}

Component({
  data: { logins: [], page: 0, pages: 1, total: 0, loaded: false, elder: false },
  methods: {
    onShow() {
      elder.sync(this)
      return this.load(1)
    },
    load(page) {
      return api
        .request({ path: '/api/v1/account/logins', params: { page, page_size: PAGE_SIZE } })
        .then((body) => {
          const lines = body.logins.map(line)
          this.setData({
            logins: page === 1 ? lines : [...this.data.logins, ...lines],
            page: body.page,
            pages: body.pages,
            total: body.total,
            loaded: true,
          })
        })
        .catch(() => this.setData({ loaded: true }))
    },
    onMore: guard.once(function onMore() {
      if (this.data.page >= this.data.pages) return Promise.resolve()
      return this.load(this.data.page + 1)
    }),
  },
})
