// 我的 (tab): who is logged in (GET /api/v1/auth/me, masked), the personal sections, the elder-mode switch
// (works without a login) and logging out (POST /api/v1/auth/logout ends the whole login at the gateway).
const api = require('../../utils/api')
const auth = require('../../utils/auth')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

const ENTRIES = [
  { id: 'inbox', name: '站内信', url: '/pages/inbox/index' },
  { id: 'appointments', name: '我的预约', url: '/pages/appointments/index' },
  { id: 'progress', name: '我的申请', url: '/pages/progress/index' },
  { id: 'certificates', name: '我的证明', url: '/pages/certificates/index' },
  { id: 'logins', name: '登录记录', url: '/pages/account/logins' },
  { id: 'notifications', name: '消息接收设置', url: '/pages/account/notifications' },
  { id: 'credentials', name: '登录方式', url: '/pages/account/credentials' },
  { id: 'proxies', name: '授权代办', url: '/pages/account/proxies' },
]
const LEVELS = { 1: '1级（账号密码）', 2: '2级（已绑定实名身份）', 3: '3级（实人认证）' }

Component({
  data: { loggedIn: false, me: null, levelLabel: '', entries: ENTRIES, elder: false },
  methods: {
    onShow() {
      elder.sync(this)
      const loggedIn = api.loggedIn()
      this.setData({ loggedIn, me: loggedIn ? this.data.me : null })
      if (!loggedIn) return Promise.resolve()
      return api
        .request({ path: '/api/v1/auth/me', quiet: true })
        .then((me) => this.setData({ me, levelLabel: LEVELS[me.assurance_level] || '' }))
        .catch(() => this.setData({ loggedIn: api.loggedIn() }))
    },
    onLogin() {
      wx.navigateTo({ url: auth.loginUrl('/pages/mine/index') })
    },
    onOpen(e) {
      auth.open(e.currentTarget.dataset.url)
    },
    onElder(e) {
      elder.set(e.detail.value)
      elder.sync(this)
    },
    onLogout: guard.once(function onLogout() {
      return new Promise((resolve) => {
        wx.showModal({
          title: '退出登录',
          content: '确定退出登录吗？退出后查看个人信息需要重新登录。',
          confirmText: '退出',
          cancelText: '不退出',
          success: (res) => resolve(res.confirm),
          fail: () => resolve(false),
        })
      }).then((confirmed) => {
        if (!confirmed) return null
        const t = api.tokens()
        const revoke = t && t.refreshToken
          ? api
              .request({ path: '/api/v1/auth/logout', method: 'POST', data: { refresh_token: t.refreshToken }, auth: false })
              .catch(() => null) // offline: the tokens are forgotten here anyway and run out at the gateway
          : Promise.resolve()
        return revoke.then(() => {
          api.clearTokens()
          this.setData({ loggedIn: false, me: null, levelLabel: '' })
          wx.showToast({ title: '已退出登录', icon: 'success' })
        })
      })
    }),
  },
})
