// Rights records (registrations, account, contributions paged, benefits), the pension estimate, the card's status
// and reporting it lost, the receipts of an application in the document viewer, and the maintenance notice on
// the home page (issue 14).
const api = require('../utils/api')
const { state } = require('./support/wx')
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap, type, text } = require('./support/pages')

beforeAll(() => loginAsBoundUser())

test('权益查询: overview, contributions page by page, benefits and the pension estimate', async () => {
  const page = await openPage('pages/rights/index')
  const overview = page.instance.data.overview
  expect(overview.person.id_number).toContain('*')
  expect(overview.registrations.length).toBeGreaterThan(0)
  expect(text(page, '#overview')).toContain(overview.registrations[0].scheme_label)

  await tap(page, '#tab-contributions')
  const first = page.instance.data.contributions.length
  expect(first).toBeGreaterThan(0)
  expect(text(page, '#contribution-total')).toBe(String(page.instance.data.contributionTotal))
  if (page.instance.data.contributionPages > 1) {
    await tap(page, '#more')
    expect(page.instance.data.contributions.length).toBeGreaterThan(first)
    expect(page.instance.data.contributionPage).toBe(2)
  }

  await tap(page, '#tab-benefits')
  expect(page.instance.data.benefitsLoaded).toBe(true)

  await tap(page, '#tab-estimate')
  const estimate = page.instance.data.estimate
  expect(Number(estimate.total)).toBeGreaterThan(0)
  expect(text(page, '#estimate-total')).toBe(estimate.total)
  await type(page, '#estimate-index', '9')
  await tap(page, '#estimate-run')
  expect(page.instance.data.errors[0]).toMatch(/[\u4e00-\u9fa5]/) // all problems told, in Chinese
  await type(page, '#estimate-index', '2.0')
  await tap(page, '#estimate-run')
  expect(page.instance.data.errors).toEqual([])
  expect(Number(page.instance.data.estimate.total)).toBeGreaterThan(Number(estimate.total))
})

test('社会保障卡: the status, and reporting it lost only after the warning is confirmed', async () => {
  const page = await openPage('pages/card/index')
  const card = page.instance.data.card
  expect(card.number).toContain('*')
  expect(text(page, '#card-status')).toBe('正常')
  state.modalAnswer = false
  await tap(page, '#report-loss')
  expect(page.instance.data.card.status).toBe('active')
  expect(state.modals[state.modals.length - 1].content).toBe(card.loss_warning)
  state.modalAnswer = true
  await tap(page, '#report-loss')
  expect(text(page, '#card-status')).toBe('挂失')
  expect(page.querySelector('#report-loss')).toBeFalsy()
  expect(state.toasts[state.toasts.length - 1].title).toBe('已挂失')
  const again = await api.request({ path: '/api/v1/card' })
  expect(again.status).toBe('lost')
  await tap(page, '#call-12333')
  expect(state.calls[state.calls.length - 1]).toMatchObject({ kind: 'makePhoneCall', phoneNumber: '12333' })
})

test('办理凭证: the result notice of a decided application opens in the document viewer', async () => {
  const number = process.env.SHEBAO_TEST_APPLICATION
  const detail = await openPage('pages/progress/detail', { number })
  expect(detail.instance.data.app.receipts).toContain('result_notice')
  const opened = state.opened.length
  await tap(detail, '#receipt-result_notice')
  expect(state.opened.length).toBe(opened + 1)
  expect(state.opened[state.opened.length - 1]).toMatchObject({ fileType: 'pdf', showMenu: true })
})

test('首页: the core system maintenance announced for the coming days is shown first', async () => {
  const home = await openPage('pages/index/index')
  const id = process.env.SHEBAO_TEST_MAINTENANCE_ID
  const shown = home.instance.data.maintenance.find((w) => String(w.id) === id)
  expect(shown).toBeTruthy()
  expect(text(home, `#maintenance-${id}`)).toBe(shown.message)
  expect(shown.message).toMatch(/维护/)
  expect(home.querySelector('#entry-apply')).toBeTruthy()
  expect(home.querySelector('#entry-rights')).toBeTruthy()
  expect(home.querySelector('#entry-card')).toBeTruthy()
})
