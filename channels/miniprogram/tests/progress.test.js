// My applications and one application's timeline.
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap, text, lastNavigation } = require('./support/pages')

beforeAll(() => loginAsBoundUser())

test('the list of my applications and the detail timeline', async () => {
  const number = process.env.SHEBAO_TEST_APPLICATION
  const list = await openPage('pages/progress/index')
  const apps = list.instance.data.applications
  const mine = apps.find((a) => a.number === number)
  expect(mine).toBeTruthy()
  expect(text(list, `#application-${number} .app-status`)).toBe(mine.status_label)
  expect(mine.label).toContain(number)

  await tap(list, `#application-${number}`)
  const nav = lastNavigation('navigateTo')
  expect(nav).toEqual({ kind: 'navigateTo', route: 'pages/progress/detail', query: { number } })
  const detail = await openPage(nav.route, nav.query)
  const app = detail.instance.data.app
  expect(app.number).toBe(number)
  expect(text(detail, '#app-status')).toBe(app.status_label)
  expect(app.timeline[0].status).toBe('submitted')
  expect(app.timeline.length).toBeGreaterThanOrEqual(2) // submitted, then decided by the rules
  expect(text(detail, '#timeline')).toContain(app.timeline[app.timeline.length - 1].status_label)
  if (app.result) expect(text(detail, '#app-result')).toContain(app.result)
})

test('an application that is not mine is not shown, with a Chinese message', async () => {
  const { state } = require('./support/wx')
  const detail = await openPage('pages/progress/detail', { number: 'SQ20000101000001' })
  expect(detail.instance.data.app).toBeNull()
  expect(state.toasts[state.toasts.length - 1].title).toBe('没有找到该申请。')
})
