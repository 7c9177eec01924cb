// First use: the privacy guide agreed to in WeChat's popup → wx.login → unbound → real-name binding with the
// service agreement accepted and the SMS code sent to the registered phone → back where the person was going.
const api = require('../utils/api')
const { json, sandboxUrl } = require('./support/gateway')
const { state, reset, settle } = require('./support/wx')
const { openPage, tap, type, text, lastNavigation, agreePrivacy } = require('./support/pages')

const person = {
  idNumber: process.env.SHEBAO_BIND_ID_NUMBER,
  name: process.env.SHEBAO_BIND_NAME,
  phone: process.env.SHEBAO_BIND_PHONE,
}

async function lastSmsCode(phone) {
  const res = await json(`${sandboxUrl()}/sms/sandbox/messages?phone=${phone}`)
  const match = /验证码是(\d{6})/.exec(res.data.messages[res.data.messages.length - 1].text)
  return match[1]
}

beforeEach(() => reset())

/** An element inside the page's privacy popup component. */
function popupButton(page, selector) {
  return page.querySelector('#privacy-popup').querySelector(selector)
}

test('a new WeChat user binds their real-name identity with an SMS code and lands on home', async () => {
  state.openid = null // a WeChat user the gateway has never seen
  const page = await openPage('pages/login/login', { next: encodeURIComponent('/pages/appointments/index') })
  expect(text(page, '#wechat-login')).toBe('微信授权登录')

  // WeChat's privacy rules: before anything personal is collected, the privacy popup, and nothing else.
  await tap(page, '#wechat-login')
  expect(popupButton(page, '#privacy-agree')).toBeTruthy()
  expect(state.requests).toHaveLength(0)
  expect(page.instance.data.step).toBe('start')
  // The guide itself opens from the popup; then agreeing lets the login go on by itself.
  popupButton(page, '#privacy-contract').dispatchEvent('tap')
  await settle()
  expect(state.calls.map((c) => c.kind)).toContain('openPrivacyContract')
  await agreePrivacy(page)
  expect(popupButton(page, '#privacy-agree')).toBeFalsy()
  expect(page.instance.data.step).toBe('bind')
  expect(api.loggedIn()).toBe(false) // unbound: no tokens, no personal data
  expect(text(page, '#bind-rule')).toContain('本人')

  // Everything missing is said at once, at the top — the service agreement too (LD/T 01 6.2.4).
  await tap(page, '#send-code')
  expect(page.instance.data.errors).toEqual(['请输入18位身份证号码。', '请输入姓名。', '请阅读并同意《网上经办服务协议》后再绑定。'])
  expect(text(page, '#errors')).toContain('请输入姓名')
  await tap(page, '#agreement-link')
  expect(text(page, '#agreement')).toContain('版本 2026.1')
  page.querySelector('#agree').dispatchEvent('change', { detail: { value: ['agree'] } })
  await new Promise((r) => setTimeout(r, 5))
  expect(page.instance.data.agreed).toBe(true)

  // Someone else's name with this ID number is refused by the gateway, in Chinese.
  await type(page, '#id-number', person.idNumber)
  await type(page, '#name', '张冒名')
  await tap(page, '#send-code')
  expect(page.instance.data.step).toBe('bind')
  expect(text(page, '#errors')).toContain('不一致')
  expect(state.toasts[state.toasts.length - 1].title).toContain('不一致')

  await type(page, '#name', person.name)
  await tap(page, '#send-code')
  expect(page.instance.data.step).toBe('code')
  expect(text(page, '#code-sent')).toContain(person.phone.slice(0, 3))
  expect(text(page, '#code-sent')).not.toContain(person.phone) // masked

  await type(page, '#sms-code', await lastSmsCode(person.phone))
  await tap(page, '#confirm-bind')
  // Back to where the login was asked for.
  expect(lastNavigation('redirectTo').route).toBe('pages/appointments/index')
  expect(api.tokens().level).toBe(2)
  const sent = state.requests.filter((r) => r.url.includes('/bind/confirm'))
  expect(sent).toHaveLength(1)

  // The next time, the same WeChat user (who agreed to the privacy guide already) goes straight in.
  const boundOpenid = state.openid
  reset()
  state.openid = boundOpenid
  state.privacyAgreed = true
  const again = await openPage('pages/login/login')
  await tap(again, '#wechat-login')
  expect(popupButton(again, '#privacy-agree')).toBeFalsy()
  expect(lastNavigation('switchTab').route).toBe('pages/index/index')
  const me = await api.request({ path: '/api/v1/auth/me' })
  expect(me.name).toContain('*')
  expect(me.id_number).not.toBe(person.idNumber)
})

test('declining the privacy guide collects nothing and says why', async () => {
  state.openid = null
  const page = await openPage('pages/login/login')
  await tap(page, '#wechat-login')
  popupButton(page, '#privacy-decline').dispatchEvent('tap')
  await settle()
  expect(page.instance.data.step).toBe('start')
  expect(text(page, '#errors')).toContain('隐私保护指引')
  expect(state.requests).toHaveLength(0)
  expect(api.loggedIn()).toBe(false)
})

test('when WeChat itself asks (wx.onNeedPrivacyAuthorization), the popup answers it', async () => {
  const privacy = require('../utils/privacy')
  privacy.init() // what app.js does on launch
  expect(typeof state.privacyListener).toBe('function')
  const page = await openPage('pages/login/login')
  expect(popupButton(page, '#privacy-agree')).toBeFalsy()
  let answer = null
  state.privacyListener((result) => {
    answer = result
  }) // WeChat: a privacy API was called before the person agreed
  await settle()
  expect(popupButton(page, '#privacy-agree')).toBeTruthy()
  await agreePrivacy(page)
  expect(answer).toEqual({ event: 'agree', buttonId: 'privacy-agree' })
})

test('a Hong Kong resident binds with the residence permit chosen in the document picker (issue 20)', async () => {
  const permit = {
    number: process.env.SHEBAO_PERMIT_NUMBER,
    name: process.env.SHEBAO_PERMIT_NAME,
    phone: process.env.SHEBAO_PERMIT_PHONE,
  }
  state.openid = null // a new WeChat user (a new one each run: the same person on one more phone)
  state.privacyAgreed = true
  const page = await openPage('pages/login/login')
  await tap(page, '#wechat-login')
  expect(page.instance.data.step).toBe('bind')
  // 居民身份证 is the default; the permit number is not a resident ID number.
  expect(text(page, '#doc-type-name')).toBe('居民身份证')
  page.querySelector('#agree').dispatchEvent('change', { detail: { value: ['agree'] } })
  await type(page, '#id-number', permit.number)
  await type(page, '#name', permit.name)

  // A passport needs its issuing country before anything is sent.
  page.querySelector('#doc-type').dispatchEvent('change', { detail: { value: 3 } })
  await settle()
  expect(text(page, '#doc-type-name')).toBe('护照')
  expect(page.querySelector('#country')).toBeTruthy()
  await tap(page, '#send-code')
  expect(page.instance.data.errors).toContain('请选择护照签发国家（地区）。')
  expect(state.requests.filter((r) => r.url.includes('/bind/sms'))).toHaveLength(0)

  page.querySelector('#doc-type').dispatchEvent('change', { detail: { value: 1 } })
  await settle()
  expect(text(page, '#doc-type-name')).toBe('港澳台居民居住证')
  expect(page.querySelector('#country')).toBeFalsy()
  await tap(page, '#send-code')
  expect(page.instance.data.errors).toEqual([])
  expect(page.instance.data.step).toBe('code')
  const sent = state.requests.filter((r) => r.url.includes('/bind/sms'))
  expect(sent).toHaveLength(1)
  expect(JSON.parse(sent[0].body)).toMatchObject({ doc_type: 'hmt_permit', country: '', id_number: permit.number })
  expect(text(page, '#code-sent')).toContain(permit.phone.slice(0, 3))
  expect(text(page, '#code-sent')).not.toContain(permit.phone)

  await type(page, '#sms-code', await lastSmsCode(permit.phone))
  await tap(page, '#confirm-bind')
  expect(lastNavigation('switchTab').route).toBe('pages/index/index')
  expect(api.tokens().level).toBe(2)
  const me = await api.request({ path: '/api/v1/auth/me' })
  expect(me.name).toContain('*')
  expect(me.name).not.toBe(permit.name)
})

test('a foreigner binds with a passport and its issuing country', async () => {
  const [country, number] = process.env.SHEBAO_PASSPORT.split(':')
  const holder = { name: process.env.SHEBAO_PASSPORT_NAME, phone: process.env.SHEBAO_PASSPORT_PHONE }
  state.openid = null
  state.privacyAgreed = true
  const page = await openPage('pages/login/login')
  await tap(page, '#wechat-login')
  page.querySelector('#doc-type').dispatchEvent('change', { detail: { value: 3 } })
  await settle()
  const countryIndex = page.instance.data.countries.findIndex((c) => c.code === country)
  expect(countryIndex).toBeGreaterThanOrEqual(0)
  page.querySelector('#country').dispatchEvent('change', { detail: { value: countryIndex } })
  await settle()
  expect(text(page, '#country-name')).toContain(country)
  page.querySelector('#agree').dispatchEvent('change', { detail: { value: ['agree'] } })
  await type(page, '#id-number', number.toLowerCase()) // typed in lower case: sent in capitals
  await type(page, '#name', holder.name)
  await tap(page, '#send-code')
  expect(page.instance.data.errors).toEqual([])
  const sent = state.requests.filter((r) => r.url.includes('/bind/sms'))
  expect(JSON.parse(sent[0].body)).toMatchObject({ doc_type: 'passport', country, id_number: number })
  expect(page.instance.data.step).toBe('code')
  await type(page, '#sms-code', await lastSmsCode(holder.phone))
  await tap(page, '#confirm-bind')
  expect(lastNavigation('switchTab').route).toBe('pages/index/index')
  expect(api.tokens().level).toBe(2)
})
