// Log in through the login page as the person the pytest wrapper bound to SHEBAO_TEST_OPENID (or to `openid`).
const api = require('../../utils/api')
const { state, reset } = require('./wx')
const { openPage, tap, lastNavigation } = require('./pages')

async function loginAsBoundUser(openid = process.env.SHEBAO_TEST_OPENID) {
  reset()
  state.openid = openid
  state.privacyAgreed = true // a returning user agreed to the privacy guide on an earlier visit
  if (!state.openid) throw new Error('SHEBAO_TEST_OPENID is not set: run through tests/miniprogram/test_node_suite.py')
  const page = await openPage('pages/login/login')
  await tap(page, '#wechat-login')
  expect(lastNavigation('switchTab').route).toBe('pages/index/index')
  expect(api.loggedIn()).toBe(true)
  state.navigations.length = 0
  return api.tokens()
}

module.exports = { loginAsBoundUser }
