// 我的: who is logged in, elder mode, logging out (the login is ended at the gateway, not only forgotten).
const api = require('../utils/api')
const { json, gatewayUrl } = require('./support/gateway')
const { state, reset } = require('./support/wx')
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap, text, lastNavigation } = require('./support/pages')

test('我的 shows the masked person, and logging out ends the login at the gateway', async () => {
  const tokens = await loginAsBoundUser()
  const mine = await openPage('pages/mine/index')
  expect(text(mine, '#me-name')).toContain('*')
  expect(text(mine, '#me-id')).toContain('*')
  expect(text(mine, '#me-level')).toContain('2级')

  // Declining the confirmation keeps the login.
  state.modalAnswer = false
  await tap(mine, '#logout')
  expect(state.modals[state.modals.length - 1].content).toContain('确定退出登录')
  expect(api.loggedIn()).toBe(true)

  state.modalAnswer = true
  await tap(mine, '#logout')
  expect(api.loggedIn()).toBe(false)
  expect(mine.querySelector('#logout')).toBeFalsy()
  expect(mine.querySelector('#logged-out')).toBeTruthy()
  expect(state.toasts[state.toasts.length - 1].title).toBe('已退出登录')
  // The refresh token is dead at the gateway: it cannot be used to come back.
  const refreshed = await json(`${gatewayUrl()}/api/v1/auth/token/refresh`, {
    method: 'POST',
    data: { refresh_token: tokens.refreshToken },
    headers: { 'X-Shebao-Channel': 'miniprogram' },
  })
  expect(refreshed.status).toBe(401)

  // Logged out, a personal entry goes to the login page and back here.
  await tap(mine, '#mine-inbox')
  const nav = lastNavigation('navigateTo')
  expect(nav.route).toBe('pages/login/login')
  expect(nav.query.next).toBe('/pages/inbox/index')
})

test('elder mode changes the sizes on every page, and stays on', async () => {
  reset()
  const mine = await openPage('pages/mine/index')
  const root = () => mine.querySelector('.container').dom
  expect(root().className).not.toContain('elder')
  mine.querySelector('#elder-switch').dispatchEvent('change', { detail: { value: true } })
  await new Promise((r) => setTimeout(r, 5))
  expect(mine.instance.data.elder).toBe(true)
  expect(root().className).toContain('elder')
  // Another page opened afterwards is in elder mode too, with the simpler layout (hints hidden by class).
  const home = await openPage('pages/index/index')
  const homeRoot = home.querySelector('.container').dom
  expect(homeRoot.className).toContain('elder')
  expect(home.querySelectorAll('.simple-hide').length).toBeGreaterThan(0)
  // The .elder rules make the type larger than the normal 34rpx (checked on the sheet in structure.test.js).
  mine.querySelector('#elder-switch').dispatchEvent('change', { detail: { value: false } })
  await new Promise((r) => setTimeout(r, 5))
  expect(root().className).not.toContain('elder')
})
