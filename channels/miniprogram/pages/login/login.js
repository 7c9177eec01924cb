// Login: wx.login → the gateway's code2Session. An openid not yet bound to a person is bound once, by
// real name: the person's identity document (居民身份证 by default; 港澳台居民居住证, 外国人永久居留身份证 or a
// passport with its issuing country — LD/T 01 6.2.3 b) and name, proved by a code sent to the phone registered with the
// social insurance agency (never a phone number typed here), with the online service agreement accepted
// (LD/T 01 6.2.4; the gateway records its version). Before any of that, WeChat's privacy guide must be agreed
// to (utils/privacy.js, the popup component). Afterwards the person goes back to where they were going.
const api = require('../../utils/api')
const agreement = require('../../utils/agreement')
const auth = require('../../utils/auth')
const documents = require('../../utils/documents')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')
const privacy = require('../../utils/privacy')

const AGREEMENT_REQUIRED = '请阅读并同意《网上经办服务协议》后再绑定。'

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
    step: 'start', // start → bind (ID number + name + agreement) → code (SMS code)
    next: '',
    ticket: '',
    docTypes: documents.TYPES,
    docNames: documents.TYPES.map((t) => t.name),
    docIndex: 0, // 居民身份证
    countries: documents.COUNTRIES,
    countryNames: documents.COUNTRIES.map((c) => `${c.name}（${c.code}）`),
    countryIndex: -1,
    idNumber: '',
    name: '',
    smsCode: '',
    phone: '',
    agreed: false,
    showAgreement: false,
    clauses: agreement.CLAUSES,
    agreementVersion: agreement.VERSION,
    errors: [],
    busy: false,
    elder: false,
  },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad(query) {
      const next = query && query.next ? decodeURIComponent(query.next) : ''
      this.setData({ next })
      if (api.loggedIn()) this.enter()
    },
    enter() {
      auth.returnTo(this.data.next)
    },
    finish(body) {
      api.saveTokens(body)
      this.setData({ busy: false })
      this.enter()
    },
    failed(err) {
      this.setData({ busy: false, errors: [err.message] })
    },
    onWechatLogin: guard.once(function onWechatLogin() {
      this.setData({ busy: true, errors: [] })
      // Personal data (ID number, name) may be collected only after the privacy guide is agreed to.
      return privacy
        .ensure()
        .then(wxLogin)
        .then((code) => api.request({ path: '/api/v1/auth/wechat/login', method: 'POST', data: { code }, auth: false }))
        .then((body) => {
          if (body.status === 'ok') return this.finish(body)
          this.setData({ step: 'bind', ticket: body.binding_ticket, busy: false })
          return null
        })
        .catch((err) => this.failed(err))
    }),
    onDocType(e) {
      this.setData({ docIndex: Number(e.detail.value), errors: [] })
    },
    onCountry(e) {
      this.setData({ countryIndex: Number(e.detail.value), errors: [] })
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
    onAgree(e) {
      this.setData({ agreed: (e.detail.value || []).includes('agree') })
    },
    onToggleAgreement() {
      this.setData({ showAgreement: !this.data.showAgreement })
    },
    onSendCode: guard.once(function onSendCode() {
      const errors = []
      const type = documents.TYPES[this.data.docIndex]
      const passport = type.value === 'passport'
      if (passport && this.data.countryIndex < 0) errors.push('请选择护照签发国家（地区）。')
      const problem = documents.numberProblem(type, this.data.idNumber)
      if (problem) errors.push(problem)
      if (!this.data.name) errors.push('请输入姓名。')
      if (!this.data.agreed) errors.push(AGREEMENT_REQUIRED)
      if (errors.length) {
        this.setData({ errors })
        return Promise.resolve()
      }
      this.setData({ busy: true, errors: [] })
      return api
        .request({
          path: '/api/v1/auth/wechat/bind/sms',
          method: 'POST',
          data: {
            binding_ticket: this.data.ticket,
            doc_type: type.value,
            country: passport ? documents.COUNTRIES[this.data.countryIndex].code : '',
            id_number: this.data.idNumber,
            name: this.data.name,
          },
          auth: false,
        })
        .then((body) => this.setData({ step: 'code', phone: body.phone, busy: false }))
        .catch((err) => this.failed(err))
    }),
    onConfirm: guard.once(function onConfirm() {
      if (!/^\d{6}$/.test(this.data.smsCode)) {
        this.setData({ errors: ['请输入短信中的6位验证码。'] })
        return Promise.resolve()
      }
      this.setData({ busy: true, errors: [] })
      return api
        .request({
          path: '/api/v1/auth/wechat/bind/confirm',
          method: 'POST',
          data: {
            binding_ticket: this.data.ticket,
            code: this.data.smsCode,
            agreement_version: this.data.agreed ? agreement.VERSION : '',
          },
          auth: false,
        })
        .then((body) => this.finish(body))
        .catch((err) => this.failed(err))
    }),
  },
})
