// Login: wx.login → the gateway's code2Session. An openid not yet bound to a person is bound once, by
// real name: the person's ID number and name, proved by a code sent to the phone registered with the
// social insurance agency (never a phone number typed here).
const api = require('../../utils/api')

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new api.ApiError(0, 'wx_login', '微信登录失败，请重试。'))),
      fail: () => reject(new api.ApiError(0, 'wx_login', '微信登录失败，请重试。')),
    })
  })
}

Component({
  data: {
    step: 'start', // start → bind (ID number + name) → code (SMS code)
    ticket: '',
    idNumber: '',
    name: '',
    smsCode: '',
    phone: '',
    errors: [],
    busy: false,
  },
  methods: {
    onLoad() {
      if (api.loggedIn()) this.enter()
    },
    enter() {
      wx.reLaunch({ url: '/pages/index/index' })
    },
    finish(body) {
      api.saveTokens(body)
      this.enter()
    },
    failed(err) {
      this.setData({ busy: false, errors: [err.message] })
    },
    onWechatLogin() {
      this.setData({ busy: true, errors: [] })
      return wxLogin()
        .then((code) => api.request({ path: '/api/v1/auth/wechat/login', method: 'POST', data: { code }, auth: false }))
        .then((body) => {
          if (body.status === 'ok') return this.finish(body)
          this.setData({ step: 'bind', ticket: body.binding_ticket, busy: false })
          return null
        })
        .catch((err) => this.failed(err))
    },
    onIdNumber(e) {
      this.setData({ idNumber: e.detail.value.trim().toUpperCase() })
    },
    onName(e) {
      this.setData({ name: e.detail.value.trim() })
    },
    onSmsCode(e) {
      this.setData({ smsCode: e.detail.value.trim() })
    },
    onSendCode() {
      const errors = []
      if (!/^\d{17}[\dX]$/.test(this.data.idNumber)) errors.push('请输入18位身份证号码。')
      if (!this.data.name) errors.push('请输入姓名。')
      if (errors.length) {
        this.setData({ errors })
        return Promise.resolve()
      }
      this.setData({ busy: true, errors: [] })
      return api
        .request({
          path: '/api/v1/auth/wechat/bind/sms',
          method: 'POST',
          data: { binding_ticket: this.data.ticket, id_number: this.data.idNumber, name: this.data.name },
          auth: false,
        })
        .then((body) => this.setData({ step: 'code', phone: body.phone, busy: false }))
        .catch((err) => this.failed(err))
    },
    onConfirm() {
      if (!/^\d{6}$/.test(this.data.smsCode)) {
        this.setData({ errors: ['请输入短信中的6位验证码。'] })
        return Promise.resolve()
      }
      this.setData({ busy: true, errors: [] })
      return api
        .request({
          path: '/api/v1/auth/wechat/bind/confirm',
          method: 'POST',
          data: { binding_ticket: this.data.ticket, code: this.data.smsCode },
          auth: false,
        })
        .then((body) => this.finish(body))
        .catch((err) => this.failed(err))
    },
  },
})
