// First use: wx.login → unbound → real-name binding with the SMS code sent to the registered phone → home.
const api = require('../utils/api')
const { json, sandboxUrl } = require('./support/gateway')
const { state, reset } = require('./support/wx')
const { openPage, tap, type, text, lastNavigation } = require('./support/pages')

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

test('a new WeChat user binds their real-name identity with an SMS code and lands on home', async () => {
  state.openid = null // a WeChat user the gateway has never seen
  const page = await openPage('pages/login/login')
  expect(text(page, '#wechat-login')).toBe('微信授权登录')

  await tap(page, '#wechat-login')
  expect(page.instance.data.step).toBe('bind')
  expect(api.loggedIn()).toBe(false) // unbound: no tokens, no personal data
  expect(text(page, '#bind-rule')).toContain('本人')

  // Everything missing is said at once, at the top.
  await tap(page, '#send-code')
  expect(page.instance.data.errors).toEqual(['请输入18位身份证号码。', '请输入姓名。'])
  expect(text(page, '#errors')).toContain('请输入姓名')

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
  expect(lastNavigation('reLaunch').route).toBe('pages/index/index')
  expect(api.tokens().level).toBe(2)

  // The next time, the same WeChat user goes straight in.
  const boundOpenid = state.openid
  reset()
  state.openid = boundOpenid
  const again = await openPage('pages/login/login')
  await tap(again, '#wechat-login')
  expect(lastNavigation('reLaunch').route).toBe('pages/index/index')
  const me = await api.request({ path: '/api/v1/auth/me' })
  expect(me.name).toContain('*')
  expect(me.id_number).not.toBe(person.idNumber)
})

test('home without a login sends the person to the login page', async () => {
  await openPage('pages/index/index')
  expect(lastNavigation('reLaunch').route).toBe('pages/login/login')
})
