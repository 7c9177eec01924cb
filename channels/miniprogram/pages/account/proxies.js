// 授权代办 (条例第三十条): the people I have authorised to book and cancel hall appointments for me, and the
// people who have authorised me (GET /api/v1/account/proxies); either side can end a grant
// (POST /api/v1/account/proxies/{id}/revoke). Names and ID numbers arrive masked; times are Beijing time.
// Granting one (POST /api/v1/account/proxies, level 2) asks the proxy's name and ID number, a period and the
// confirmation that the person understands what a proxy may do; a grant is a factor change, so the answer carries
// this phone's new token pair.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')
const time = require('../../utils/time')

function view(g) {
  const until = time.shown(g.valid_until, 'minutes')
  return { ...g, untilText: until, label: `解除对${g.name}的授权，${g.scope}，有效至${until}` }
}

Component({
  data: {
    granted: [],
    actingFor: [],
    loaded: false,
    errors: [],
    periods: [],
    periodLabels: [],
    periodIndex: -1,
    proxyName: '',
    proxyIdNumber: '',
    understood: false,
    elder: false,
  },
  methods: {
    onShow() {
      elder.sync(this)
      return api
        .request({ path: '/api/v1/account/proxies' })
        .then((body) => this.show(body))
        .catch(() => this.setData({ loaded: true }))
    },
    show(body) {
      const periods = body.periods || []
      this.setData({
        granted: body.granted.map(view),
        actingFor: body.acting_for.map(view),
        periods,
        periodLabels: periods.map((m) => `${m}个月`),
        loaded: true,
      })
    },
    onName(e) {
      this.setData({ proxyName: e.detail.value })
    },
    onIdNumber(e) {
      this.setData({ proxyIdNumber: e.detail.value })
    },
    onPeriod(e) {
      this.setData({ periodIndex: Number(e.detail.value) })
    },
    onUnderstood(e) {
      this.setData({ understood: (e.detail.value || []).includes('yes') })
    },
    onGrant: guard.once(function onGrant() {
      const d = this.data
      const errors = []
      if (!d.proxyName.trim()) errors.push('请填写代办人姓名。')
      if (!d.proxyIdNumber.trim()) errors.push('请填写代办人身份证号码。')
      if (d.periodIndex < 0) errors.push('请选择授权期限。')
      if (!d.understood) errors.push('请确认您已了解代办人可以为您预约和取消窗口办理。')
      this.setData({ errors })
      if (errors.length) return null
      return api
        .request({
          path: '/api/v1/account/proxies',
          method: 'POST',
          data: {
            proxy_id_number: d.proxyIdNumber.trim(),
            proxy_name: d.proxyName.trim(),
            months: d.periods[d.periodIndex],
            understood: true,
          },
          quiet: true,
        })
        .then((body) => {
          if (body.tokens) api.saveTokens(body.tokens)
          this.show(body)
          this.setData({ proxyName: '', proxyIdNumber: '', periodIndex: -1, understood: false })
          wx.showToast({ title: '已授权', icon: 'success' })
        })
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
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
