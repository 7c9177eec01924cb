// Public content first: home, guides, halls, help, certificate checks and the mailbox open without a login
// and read the real gateway; a personal section asks for a login and comes back to it afterwards.
const api = require('../utils/api')
const { json, gatewayUrl } = require('./support/gateway')
const { state, reset } = require('./support/wx')
const { openPage, tap, type, text, lastNavigation } = require('./support/pages')

const CHANNEL = { 'X-Shebao-Channel': 'miniprogram' }

beforeEach(() => reset())

test('home opens without a login and shows the guides this channel carries', async () => {
  expect(api.loggedIn()).toBe(false)
  const home = await openPage('pages/index/index')
  expect(state.navigations).toHaveLength(0) // nobody is sent to the login page
  const catalog = await json(`${gatewayUrl()}/api/v1/catalog`, { headers: CHANNEL })
  expect(catalog.data.items.length).toBeGreaterThan(0)
  expect(text(home, '#guide-count')).toBe(String(catalog.data.items.length))
  const first = catalog.data.items[0]
  expect(text(home, `#guide-${first.id} .guide-name`)).toBe(first.name)
  expect(home.querySelector('#greeting')).toBeFalsy()
  // Nothing personal was asked for.
  expect(state.requests.every((r) => !r.headers.Authorization)).toBe(true)
  expect(state.requests.some((r) => r.url.includes('/api/v1/inbox'))).toBe(false)

  // A guide opens, at level 3, with its materials and a call button.
  await tap(home, `#guide-${first.id}`)
  const nav = lastNavigation('navigateTo')
  expect(nav).toEqual({ kind: 'navigateTo', route: 'pages/guides/detail', query: { id: first.id } })
  const guide = await openPage(nav.route, nav.query)
  expect(text(guide, '#guide-title')).toBe(first.name)
  await tap(guide, '#call-consult')
  expect(state.calls.find((c) => c.kind === 'makePhoneCall').phoneNumber).toMatch(/\d/)

  // A personal section asks for a login first, and names where to come back to.
  await tap(home, '#entry-appointments')
  const toLogin = lastNavigation('navigateTo')
  expect(toLogin.route).toBe('pages/login/login')
  expect(toLogin.query.next).toBe('/pages/appointments/index')
})

test('halls: address, hours, navigation and a call button', async () => {
  const page = await openPage('pages/halls/index')
  const halls = page.instance.data.halls
  expect(halls.length).toBeGreaterThan(0)
  const hall = halls[0]
  expect(text(page, `#hall-${hall.code}`)).toContain(hall.address)
  await tap(page, `#call-${hall.code}`)
  expect(state.calls.find((c) => c.kind === 'makePhoneCall').phoneNumber).toBe(hall.phone)
  // The demo halls are placed (GCJ-02 from the gateway): "导航" opens WeChat's map at the hall.
  const placed = halls.find((h) => typeof h.latitude === 'number')
  expect(placed).toBeTruthy()
  expect(placed.latitude).toBeGreaterThan(3)
  expect(placed.latitude).toBeLessThan(54) // inside China, where GCJ-02 applies
  expect(placed.longitude).toBeGreaterThan(73)
  expect(placed.longitude).toBeLessThan(136)
  await tap(page, `#navigate-${placed.code}`)
  expect(state.calls.find((c) => c.kind === 'openLocation')).toMatchObject({
    latitude: placed.latitude,
    longitude: placed.longitude,
    name: placed.name,
    address: placed.address,
  })
})

test('a hall not placed yet: its address is copied for the map app instead', async () => {
  const page = await openPage('pages/halls/index')
  page.instance.setData({
    halls: [{ code: 'T2', name: '未标注大厅', address: '测试路2号', phone: '12333', where: null }],
  })
  await tap(page, '#navigate-T2')
  expect(state.calls.find((c) => c.kind === 'setClipboardData')).toMatchObject({ data: '测试路2号' })
  expect(state.calls.find((c) => c.kind === 'openLocation')).toBeFalsy()
})

test('the halls page reads coordinates from an AMap marker link for wx.openLocation', async () => {
  const page = await openPage('pages/halls/index')
  page.instance.setData({
    halls: [{ code: 'T1', name: '测试大厅', address: '测试路1号', phone: '12333', where: { latitude: 34.26, longitude: 108.94 } }],
  })
  await tap(page, '#navigate-T1')
  expect(state.calls.find((c) => c.kind === 'openLocation')).toMatchObject({ latitude: 34.26, longitude: 108.94 })
})

test('help search answers without a login', async () => {
  const home = await openPage('pages/index/index')
  await type(home, '#search-input', '养老保险关系转移')
  await tap(home, '#search')
  const nav = lastNavigation('navigateTo')
  expect(nav.route).toBe('pages/help/index')
  const help = await openPage(nav.route, nav.query)
  expect(help.instance.data.searched).toBe(true)
  const shown = help.instance.data.answer ? [help.instance.data.answer] : help.instance.data.results
  expect(shown.length).toBeGreaterThan(0)
  expect(shown[0].answer).toMatch(/[\u4e00-\u9fa5]/)
  // Asking nothing is refused at once, without a request.
  const blank = await openPage('pages/help/index')
  const before = state.requests.length
  await tap(blank, '#help-search')
  expect(text(blank, '#errors')).toBe('请输入要咨询的问题。')
  expect(state.requests.length).toBe(before)
})

test('a certificate QR is scanned and checked with the public verify API', async () => {
  const page = await openPage('pages/verify/index')
  const code = 'P0000000000000000Z'
  state.scanResult = `${gatewayUrl()}/verify/?code=${code}`
  await tap(page, '#scan')
  const asked = state.requests.find((r) => r.url.includes('/api/v1/verify?'))
  expect(asked.url).toContain(`code=${code}`)
  const direct = await json(`${gatewayUrl()}/api/v1/verify?code=${code}`)
  if (direct.data.message) expect(text(page, '#result-message')).toBe(direct.data.message)
  else expect(text(page, '#errors')).toBe(direct.data.error.message)
  // Cancelling the scan says what else to do.
  state.scanResult = null
  await tap(page, '#scan')
  expect(text(page, '#errors')).toContain('防伪码')
})

test('the consultation mailbox takes a message without a login, once however often it is tapped', async () => {
  const page = await openPage('pages/consult/index')
  await tap(page, '#submit-case')
  expect(page.instance.data.errors).toEqual(['请选择留言涉及的业务。', '请填写标题。', '请填写留言内容。'])
  page.querySelector('#topic').dispatchEvent('change', { detail: { value: '0' } })
  await type(page, '#subject', '养老保险转移')
  await type(page, '#body', '从外省调回本市工作，养老保险关系怎么转回来？')
  const button = page.querySelector('#submit-case')
  button.dispatchEvent('tap')
  button.dispatchEvent('tap')
  await tap(page, '#submit-case')
  const posts = state.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/v1/consult/cases'))
  expect(posts).toHaveLength(1)
  expect(text(page, '#case-number')).toMatch(/^ZX\d+/)
  expect(text(page, '#case-code').length).toBeGreaterThan(3)
})
