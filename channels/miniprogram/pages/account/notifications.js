// 消息接收设置 (LD/T 01 5.4.4): for each kind of message, which channels it comes by — 站内信, 短信, 微信
// (GET/POST /api/v1/account/notifications). Messages the law requires the agency to send keep at least the
// 站内信; the gateway refuses otherwise and its Chinese message is shown.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

const CHANNELS = { inbox: '站内信', sms: '短信', wechat: '微信' }

function view(pref) {
  return {
    kind: pref.kind,
    kindLabel: pref.kind_label,
    legallyRequired: pref.legally_required,
    options: pref.allowed.map((c) => ({
      value: c,
      name: CHANNELS[c] || c,
      checked: pref.channels.includes(c),
    })),
  }
}

Component({
  data: { preferences: [], wechatBound: true, loaded: false, saved: false, errors: [], busy: false, elder: false },
  methods: {
    onShow() {
      elder.sync(this)
      return this.load()
    },
    show(body) {
      this.setData({ preferences: body.preferences.map(view), wechatBound: body.wechat_bound, loaded: true })
    },
    load() {
      return api
        .request({ path: '/api/v1/account/notifications' })
        .then((body) => this.show(body))
        .catch(() => this.setData({ loaded: true }))
    },
    onChange(e) {
      const kind = e.currentTarget.dataset.kind
      const chosen = e.detail.value || []
      const preferences = this.data.preferences.map((p) =>
        p.kind === kind ? { ...p, options: p.options.map((o) => ({ ...o, checked: chosen.includes(o.value) })) } : p,
      )
      this.setData({ preferences, saved: false })
    },
    onSave: guard.once(function onSave() {
      this.setData({ busy: true, errors: [], saved: false })
      const preferences = this.data.preferences.map((p) => ({
        kind: p.kind,
        channels: p.options.filter((o) => o.checked).map((o) => o.value),
      }))
      return api
        .request({ path: '/api/v1/account/notifications', method: 'POST', data: { preferences } })
        .then((body) => {
          this.show(body)
          this.setData({ busy: false, saved: true })
          wx.showToast({ title: '已保存', icon: 'success' })
        })
        .catch((err) => this.setData({ busy: false, errors: [err.message] }))
    }),
  },
})
