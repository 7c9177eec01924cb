// 授权代办 (条例第三十条): the people I have authorised to book and cancel hall appointments for me, and the
// people who have authorised me (GET /api/v1/account/proxies); either side can end a grant
// (POST /api/v1/account/proxies/{id}/revoke). Names and ID numbers arrive masked; times are Beijing time.
// Granting a new proxy is done on the web (网上服务大厅 “我的” → 授权代办) for now.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')
const time = require('../../utils/time')

function view(g) {
  const until = time.shown(g.valid_until, 'minutes')
  return { ...g, untilText: until, label: `解除对${g.name}的授权，${g.scope}，有效至${until}` }
}

Component({
  data: { granted: [], actingFor: [], loaded: false, errors: [], elder: false },
  methods: {
    onShow() {
      elder.sync(this)
      return api
        .request({ path: '/api/v1/account/proxies' })
        .then((body) => this.show(body))
        .catch(() => this.setData({ loaded: true }))
    },
    show(body) {
      this.setData({ granted: body.granted.map(view), actingFor: body.acting_for.map(view), loaded: true })
    },
    onRevoke: guard.once(function onRevoke(e) {
      const { id, name } = e.currentTarget.dataset
      return new Promise((resolve) => {
        wx.showModal({
          title: '解除授权',
          content: `确定解除与${name}的代办授权吗？解除后对方不能再代为预约和取消。`,
          confirmText: '解除',
          cancelText: '不解除',
          success: (res) => resolve(res.confirm),
          fail: () => resolve(false),
        })
      }).then((yes) => {
        if (!yes) return null
        this.setData({ errors: [] })
        return api
          .request({ path: `/api/v1/account/proxies/${id}/revoke`, method: 'POST' })
          .then((body) => {
            this.show(body)
            wx.showToast({ title: '已解除授权', icon: 'success' })
          })
          .catch((err) => this.setData({ errors: [err.message] }))
      })
    }),
  },
})
