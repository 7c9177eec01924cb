// utils/api.js against the gateway: the error shape becomes a Chinese toast, and an expired access token
// is replaced with the rotating refresh token — once, even when several requests hit the 401 together.
const api = require('../utils/api')
const { state } = require('./support/wx')
const { loginAsBoundUser } = require('./support/session')

beforeEach(() => loginAsBoundUser())

function staleAccessToken() {
  const tokens = api.tokens()
  // A token signed by someone else is refused exactly like an expired one: 401 invalid_access_token.
  wx.setStorageSync(api.TOKENS_KEY, { ...tokens, accessToken: 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl' })
  return tokens
}

test('a 401 rotates the refresh token and the request goes through', async () => {
  const before = staleAccessToken()
  const me = await api.request({ path: '/api/v1/auth/me' })
  expect(me.assurance_level).toBe(2)
  const after = api.tokens()
  expect(after.refreshToken).not.toBe(before.refreshToken)
  expect(after.accessToken).not.toBe(before.accessToken)
  expect(state.requests.filter((r) => r.url.endsWith('/api/v1/auth/token/refresh'))).toHaveLength(1)
})

test('parallel 401s share one rotation (a reused refresh token would end the login)', async () => {
  staleAccessToken()
  const results = await Promise.all([
    api.request({ path: '/api/v1/auth/me' }),
    api.request({ path: '/api/v1/inbox' }),
    api.request({ path: '/api/v1/applications' }),
  ])
  expect(results[0].assurance_level).toBe(2)
  expect(state.requests.filter((r) => r.url.endsWith('/api/v1/auth/token/refresh'))).toHaveLength(1)
  // The login is still alive afterwards.
  expect((await api.request({ path: '/api/v1/auth/me' })).assurance_level).toBe(2)
})

test('a dead refresh token sends the person back to the login page', async () => {
  const tokens = staleAccessToken()
  wx.setStorageSync(api.TOKENS_KEY, { ...api.tokens(), refreshToken: `${tokens.refreshToken}x` })
  await expect(api.request({ path: '/api/v1/auth/me' })).rejects.toMatchObject({ status: 401 })
  expect(api.loggedIn()).toBe(false)
  expect(state.navigations[state.navigations.length - 1]).toEqual({ kind: 'reLaunch', url: '/pages/login/login' })
  expect(state.toasts[state.toasts.length - 1].title).toMatch(/[\u4e00-\u9fa5]/)
})

test('the gateway error shape becomes a Chinese toast', async () => {
  await expect(
    api.request({ path: '/api/v1/appointments', method: 'POST', data: { item: 'no-such-item', slot: 1 } }),
  ).rejects.toMatchObject({ status: 404, code: 'unknown_item' })
  expect(state.toasts[state.toasts.length - 1]).toMatchObject({
    title: '没有找到该服务事项，请从服务事项清单中选择。',
    icon: 'none',
  })
})

test('no network is said plainly', async () => {
  const config = require('../utils/config')
  const saved = config.baseUrl
  config.baseUrl = 'http://127.0.0.1:9' // nothing listens on the discard port
  try {
    await expect(api.request({ path: '/api/v1/auth/me' })).rejects.toMatchObject({ code: 'network' })
    expect(state.toasts[state.toasts.length - 1].title).toBe('网络连接失败，请检查网络后重试。')
  } finally {
    config.baseUrl = saved
  }
})
