// Home shows the inbox's unread count; opening a message marks it read and the count goes down.
const api = require('../utils/api')
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap, text, lastNavigation } = require('./support/pages')
const { settle } = require('./support/wx')

beforeAll(() => loginAsBoundUser())

test('the unread badge on home, the inbox list, and reading a message', async () => {
  const before = await api.request({ path: '/api/v1/inbox' })
  // The pytest wrapper delivered messages to this person before the suite started.
  expect(before.unread).toBeGreaterThanOrEqual(Number(process.env.SHEBAO_TEST_UNREAD))

  const home = await openPage('pages/index/index')
  expect(text(home, '#unread-badge')).toBe(String(before.unread))
  expect(home.instance.data.inboxLabel).toBe(`站内信，${before.unread}条未读`)
  expect(text(home, '#greeting')).toMatch(/^您好，.+\*/) // masked name

  await tap(home, '#entry-inbox')
  expect(lastNavigation('navigateTo').route).toBe('pages/inbox/index')

  const inbox = await openPage('pages/inbox/index')
  expect(text(inbox, '#inbox-summary')).toBe(`共 ${before.total} 条，${before.unread} 条未读`)
  const unread = inbox.instance.data.items.find((m) => !m.read)
  expect(unread.label.startsWith('未读：')).toBe(true)
  await tap(inbox, `#message-${unread.id}`)
  const nav = lastNavigation('navigateTo')
  expect(nav).toEqual({ kind: 'navigateTo', route: 'pages/inbox/detail', query: { id: String(unread.id) } })

  const detail = await openPage(nav.route, nav.query)
  expect(text(detail, '#message-title')).toBe(unread.title)
  expect(text(detail, '#message-body')).toBe(unread.body)

  // Back on home (onShow again): one fewer unread.
  home.instance.onShow()
  await settle()
  const after = before.unread - 1
  expect(after >= 0).toBe(true)
  expect(home.instance.data.unread).toBe(after)
  expect(text(home, '#unread-badge')).toBe(after ? String(after) : null)
  const reread = await openPage('pages/inbox/index')
  expect(reread.instance.data.items.find((m) => m.id === unread.id).read).toBe(true)
})
