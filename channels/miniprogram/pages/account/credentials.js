// 登录方式 (LD/T 01 6.2.5 b): the login methods bound to the account, and unbinding one
// (GET /api/v1/account/credentials, DELETE /api/v1/account/credentials/{id}). Unbinding needs security level 2
// and ends every other login; the gateway answers with a fresh token pair for this phone in `tokens`, which
// replaces the old one (the old one died with the others). The only method left cannot be unbound.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')
const time = require('../../utils/time')

function view(c) {
  const bound = time.shown(c.bound_at, 'minutes')
  return { ...c, boundText: bound, label: `${c.kind_label}${bound ? `，${bound}绑定` : ''}，解除绑定` }
}

function confirm(title, content) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content,
      confirmText: '解除',
      cancelText: '不解除',
      success: (res) => resolve(res.confirm),
      fail: () => resolve(false),
    })
  })
}

Component({
  data: { credentials: [], several: false, loaded: false, errors: [], elder: false },
  methods: {
    onShow() {
      elder.sync(this)
      return api
        .request({ path: '/api/v1/account/credentials' })
        .then((body) => this.show(body))
        .catch(() => this.setData({ loaded: true }))
    },
    show(body) {
      // The only method left cannot be unbound (the gateway refuses it too): no button for it.
      this.setData({ credentials: body.credentials.map(view), several: body.credentials.length > 1, loaded: true })
    },
    onUnbind: guard.once(function onUnbind(e) {
      const { id, name } = e.currentTarget.dataset
      return confirm('解除绑定', `确定解除“${name}”登录方式吗？解除后，其他设备上的登录将全部退出。`).then((yes) => {
        if (!yes) return null
        this.setData({ errors: [] })
        return api
          .request({ path: `/api/v1/account/credentials/${id}`, method: 'DELETE' })
          .then((body) => {
            if (body.tokens && body.tokens.access_token) api.saveTokens(body.tokens)
            this.show(body)
            wx.showToast({ title: '已解除绑定', icon: 'success' })
          })
          .catch((err) => this.setData({ errors: [err.message] }))
      })
    }),
  },
})
