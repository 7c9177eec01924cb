// 我的 → the account's own pages on the JSON API (issue 14): the login log, the notification settings read
// back after a change, unbinding one of two login methods (the answer's fresh token pair replaces this phone's
// — the old one died with every other login), and the authorised proxies.
const api = require('../utils/api')
const { json, gatewayUrl } = require('./support/gateway')
const { state } = require('./support/wx')
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap, type, text, lastNavigation } = require('./support/pages')

test('我的 leads to the account pages, and the login log shows this login first, in Beijing time', async () => {
  await loginAsBoundUser()
  const mine = await openPage('pages/mine/index')
  for (const [id, route] of [
    ['logins', 'pages/account/logins'],
    ['notifications', 'pages/account/notifications'],
    ['credentials', 'pages/account/credentials'],
    ['proxies', 'pages/account/proxies'],
  ]) {
    await tap(mine, `#mine-${id}`)
    expect(lastNavigation('navigateTo').route).toBe(route)
  }

  const page = await openPage('pages/account/logins')
  const body = page.instance.data
  expect(body.total).toBeGreaterThanOrEqual(1)
  const lines = page.querySelectorAll('.login-line')
  expect(lines.length).toBe(Math.min(body.total, 20))
  const first = lines[0].dom.textContent
  expect(first).toContain('登录成功')
  expect(first).toContain('微信')
  expect(first).toContain('微信小程序')
  // The API's Beijing time, shown with a space: today's date in Beijing.
  const beijingToday = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
  expect(first).toMatch(new RegExp(`${beijingToday} \\d{2}:\\d{2}:\\d{2}`))
  expect(first).toMatch(/网络地址 \S*\*/) // masked
  expect(text(page, '#login-total')).toContain(`共 ${body.total} 条`)
  // More pages load on request, and add to the list.
  if (body.pages > 1) {
    await tap(page, '#more-logins')
    expect(page.querySelectorAll('.login-line').length).toBe(Math.min(body.total, 40))
  } else {
    expect(page.querySelector('#more-logins')).toBeFalsy()
  }
})

test('a notification setting changed is read back; a legally required message keeps at least one channel', async () => {
  await loginAsBoundUser()
  const page = await openPage('pages/account/notifications')
  const prefs = page.instance.data.preferences
  expect(prefs.length).toBeGreaterThan(3)
  const pref = prefs.find((p) => ['inbox', 'sms'].every((c) => p.options.some((o) => o.value === c)))
  expect(pref).toBeTruthy()
  expect(text(page, `#pref-${pref.kind}`)).toContain(pref.kindLabel)
  const hadSms = pref.options.find((o) => o.value === 'sms').checked
  // Flip 短信 for this kind and keep 站内信 (so the change holds on every run of the suite).
  const wanted = pref.options
    .filter((o) => (o.value === 'sms' ? !hadSms : o.value === 'inbox' || o.checked))
    .map((o) => o.value)
  page.querySelector(`#channels-${pref.kind}`).dispatchEvent('change', { detail: { value: wanted } })
  await new Promise((r) => setTimeout(r, 5))
  await tap(page, '#save-notifications')
  expect(text(page, '#saved')).toBe('已保存')
  expect(state.toasts[state.toasts.length - 1].title).toBe('已保存')

  // Opened again, the page shows what the gateway kept.
  const again = await openPage('pages/account/notifications')
  const kept = again.instance.data.preferences.find((p) => p.kind === pref.kind)
  expect(kept.options.find((o) => o.value === 'sms').checked).toBe(!hadSms)
  expect(kept.options.find((o) => o.value === 'inbox').checked).toBe(true)
  const stored = await api.request({ path: '/api/v1/account/notifications' })
  expect(stored.preferences.find((p) => p.kind === pref.kind).channels.includes('sms')).toBe(!hadSms)

  // A message the law requires cannot be switched off entirely: the gateway's Chinese reason is shown.
  const required = again.instance.data.preferences.find((p) => p.legallyRequired)
  expect(required).toBeTruthy()
  again.querySelector(`#channels-${required.kind}`).dispatchEvent('change', { detail: { value: [] } })
  await new Promise((r) => setTimeout(r, 5))
  await tap(again, '#save-notifications')
  expect(text(again, '#errors')).toMatch(/[\u4e00-\u9fa5]/)
  expect(again.querySelector('#saved')).toBeFalsy()
  const after = await api.request({ path: '/api/v1/account/notifications' })
  expect(after.preferences.find((p) => p.kind === required.kind).channels.length).toBeGreaterThan(0)
})

test('unbinding one of two WeChat identities ends the other logins and keeps this phone logged in', async () => {
  const before = await loginAsBoundUser(process.env.SHEBAO_UNBIND_OPENID)
  const page = await openPage('pages/account/credentials')
  const listed = page.instance.data.credentials
  expect(listed.map((c) => c.kind_label)).toEqual(['微信', '微信'])
  // The API's documented form (minutes, Beijing time) on every database: PostgreSQL keeps microseconds.
  for (const c of listed) expect(c.bound_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/)
  expect(text(page, `#credential-${listed[0].id}`)).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} 绑定（北京时间）/)
  const other = listed[1] // bound directly by the pytest wrapper: not the one this phone logged in with

  // Declining the confirmation unbinds nothing.
  state.modalAnswer = false
  await tap(page, `#unbind-${other.id}`)
  expect(state.modals[state.modals.length - 1].content).toContain('其他设备上的登录将全部退出')
  expect(page.instance.data.credentials).toHaveLength(2)

  state.modalAnswer = true
  await tap(page, `#unbind-${other.id}`)
  expect(state.toasts[state.toasts.length - 1].title).toBe('已解除绑定')
  expect(page.instance.data.credentials.map((c) => c.id)).toEqual([listed[0].id])
  // The only method left cannot be unbound: no button for it.
  expect(page.querySelector(`#unbind-${listed[0].id}`)).toBeFalsy()
  expect(state.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1)

  // This phone carries on with the fresh pair from the answer; the pair it had before is dead.
  const now = api.tokens()
  expect(now.refreshToken).not.toBe(before.refreshToken)
  expect(now.level).toBe(2)
  const me = await api.request({ path: '/api/v1/auth/me' })
  expect(me.name).toContain('*')
  const old = await json(`${gatewayUrl()}/api/v1/auth/token/refresh`, {
    method: 'POST',
    data: { refresh_token: before.refreshToken },
    headers: { 'X-Shebao-Channel': 'miniprogram' },
  })
  expect(old.status).toBe(401)
})

test('授权代办 lists both sides, and a grant is revoked from the page', async () => {
  await loginAsBoundUser(process.env.SHEBAO_UNBIND_OPENID)
  const page = await openPage('pages/account/proxies')
  expect(page.instance.data.loaded).toBe(true)
  expect(text(page, '#no-granted')).toBe('没有授权代办人')
  expect(text(page, '#no-acting-for')).toBe('没有人授权您代办')

  // Granting from the page: every missing answer is told at once, nothing is sent.
  const before = api.tokens()
  await tap(page, '#grant-submit')
  expect(page.instance.data.errors).toHaveLength(4)
  await type(page, '#proxy-name', process.env.SHEBAO_PROXY_NAME)
  await type(page, '#proxy-id-number', process.env.SHEBAO_PROXY_ID_NUMBER)
  page.querySelector('#proxy-period').dispatchEvent('change', { detail: { value: String(page.instance.data.periods.indexOf(6)) } })
  page.querySelector('#proxy-understood-group').dispatchEvent('change', { detail: { value: ['yes'] } })
  await tap(page, '#grant-submit')
  expect(page.instance.data.errors).toEqual([])
  expect(state.toasts[state.toasts.length - 1].title).toBe('已授权')
  // A factor change: the answer carried this phone's new token pair.
  expect(api.tokens().refreshToken).not.toBe(before.refreshToken)
  expect(page.instance.data.granted).toHaveLength(1)
  const grant = page.instance.data.granted[0]

  const again = await openPage('pages/account/proxies')
  expect(again.querySelector('#no-granted')).toBeFalsy()
  const card = text(again, `#granted-${grant.id}`)
  expect(card).toContain('*') // the proxy's name and ID number masked
  expect(card).toContain('预约和取消窗口办理')
  expect(card).toMatch(/有效至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）/)

  state.modalAnswer = false
  await tap(again, `#revoke-${grant.id}`)
  expect(again.instance.data.granted).toHaveLength(1)
  state.modalAnswer = true
  await tap(again, `#revoke-${grant.id}`)
  expect(state.toasts[state.toasts.length - 1].title).toBe('已解除授权')
  expect(text(again, '#no-granted')).toBe('没有授权代办人')
  const after = await api.request({ path: '/api/v1/account/proxies' })
  expect(after.granted).toEqual([])
})
