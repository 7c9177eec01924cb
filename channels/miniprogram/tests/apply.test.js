// Applying in three steps from the mini-program (issue 14): choose the item → the gateway asks for level 3 and
// the person confirms with their e-SSC (the sandbox's page, as in the web-view) → fill in the gateway's fields →
// upload a material chosen from a chat (wx.chooseMessageFile → wx.uploadFile multipart) → confirm and submit
// once, however fast the taps → WeChat reminders → the progress page, where the application is withdrawn after
// its warning (which also leaves the next run a clean slate).
const fs = require('fs')
const os = require('os')
const path = require('path')
const api = require('../utils/api')
const { exchange } = require('./support/gateway')
const { state, settle } = require('./support/wx')
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap, type, text, lastNavigation } = require('./support/pages')

const ITEM = 'pension-transfer-in'
const PDF = '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'

// What the person does on the e-SSC platform's page opened in the web-view: confirm with their own card.
async function approveOnEssc(authorizeUrl) {
  const url = new URL(authorizeUrl)
  const form = new URLSearchParams()
  for (const k of ['client_id', 'redirect_uri', 'state', 'nonce', 'mode']) {
    if (url.searchParams.has(k)) form.set(k, url.searchParams.get(k))
  }
  form.set('aac002', process.env.SHEBAO_TEST_ID_NUMBER)
  form.set('aac003', process.env.SHEBAO_TEST_NAME)
  form.set('aab301', '610302')
  const res = await exchange(`${url.origin}${url.pathname}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  })
  expect(res.status).toBe(200)
}

function valueFor(field) {
  if (field.name === 'phone') return '13800138000'
  if (field.kind === 'textarea') return '由陕西省西安市转入。'
  return field.name.includes('date') ? '2026-11-01' : '陕西省西安市'
}

beforeAll(() => loginAsBoundUser())

test('apply in three steps with an upload, after stepping up to level 3 with the e-SSC', async () => {
  expect(api.tokens().level).toBe(2)
  const list = await openPage('pages/apply/index')
  expect(list.instance.data.items.some((i) => i.id === ITEM)).toBe(true)
  expect(text(list, `#item-${ITEM}`)).toContain('需实名核验')
  await tap(list, `#item-${ITEM}`)
  const nav = lastNavigation('navigateTo')
  expect(nav).toEqual({ kind: 'navigateTo', route: 'pages/apply/form', query: { item: ITEM } })

  // Level 2 is not enough: the gateway says so, and the page offers the e-SSC check instead of a dead end.
  const page = await openPage(nav.route, nav.query)
  expect(page.instance.data.needsStepUp).toBe(true)
  expect(text(page, '#step-up')).toContain('安全级别 3')
  await tap(page, '#step-up-essc')
  expect(lastNavigation('navigateTo').route).toBe('pages/account/stepup')
  const stepUp = await openPage('pages/account/stepup')
  expect(stepUp.instance.data.state).toBe('waiting')
  expect(stepUp.querySelector('#essc')).toBeTruthy() // the web-view with the platform's page
  await stepUp.instance.poll()
  expect(stepUp.instance.data.state).toBe('waiting') // nobody confirmed yet
  await approveOnEssc(stepUp.instance.data.url)
  await stepUp.instance.poll()
  await settle()
  stepUp.instance.onUnload()
  expect(stepUp.instance.data.state).toBe('done')
  expect(api.tokens().level).toBe(3)
  expect(lastNavigation('navigateBack')).toBeTruthy()

  // Back on the item's page: the form, with what the back office knows shown (masked), not asked.
  page.instance.onShow()
  await settle()
  const form = page.instance.data.form
  expect(form.item.id).toBe(ITEM)
  expect(form.known.id_number).toContain('*')
  expect(text(page, '#steps')).toContain('第 1 步 / 共 3 步')
  // Step 1: an empty form is refused with every problem at once, in Chinese.
  await tap(page, '#save')
  expect(page.instance.data.step).toBe(1)
  expect(page.instance.data.errors.join('')).toMatch(/[\u4e00-\u9fa5]/)
  for (const field of page.instance.data.fields) {
    if (field.kind === 'choice') {
      page.querySelector(`#field-${field.name}`).dispatchEvent('change', { detail: { value: '0' } })
      await settle()
    } else {
      await type(page, `#field-${field.name}`, valueFor(field))
    }
  }
  await tap(page, '#save')
  expect(page.instance.data.errors).toEqual([])
  expect(page.instance.data.step).toBe(2)

  // Step 2: nothing uploaded yet → told which material is missing; then a PDF chosen from a chat.
  await tap(page, '#next')
  expect(page.instance.data.errors[0]).toContain(page.instance.data.materials[0].name)
  const file = path.join(os.tmpdir(), `参保缴费凭证-${process.pid}.pdf`)
  fs.writeFileSync(file, PDF)
  state.chosenFile = file
  await tap(page, '#choose-file-0')
  const upload = state.requests.find((r) => r.url.endsWith(`/api/v1/apply/${ITEM}/materials`))
  expect(upload.headers['Content-Type']).toMatch(/^multipart\/form-data; boundary=/)
  expect(state.calls.find((c) => c.kind === 'chooseMessageFile').extension).toEqual(['pdf', 'jpg', 'jpeg', 'png'])
  expect(page.instance.data.materials[0].files).toHaveLength(1)
  expect(page.instance.data.form.draft.materials[0].filename).toContain('.pdf')
  await tap(page, '#next')
  expect(page.instance.data.step).toBe(3)

  // Step 3: confirm the risks (if the item has any) and submit — two fast taps make one application.
  if (page.instance.data.form.risk_warning) {
    page.querySelector('#risk-group').dispatchEvent('change', { detail: { value: ['yes'] } })
    await settle()
  }
  const before = (await api.request({ path: '/api/v1/applications' })).total
  page.querySelector('#submit').dispatchEvent('tap')
  page.querySelector('#submit').dispatchEvent('tap')
  await settle()
  const submitted = page.instance.data.submitted
  expect(submitted.status).toBe('submitted')
  expect(text(page, '#submitted-number')).toBe(submitted.number)
  expect((await api.request({ path: '/api/v1/applications' })).total).toBe(before + 1)

  // WeChat reminders for the application, with the template ids the gateway serves.
  await tap(page, '#subscribe')
  expect(state.subscribeRequests[state.subscribeRequests.length - 1].tmplIds.length).toBeGreaterThan(0)
  expect(page.instance.data.subscribed).toBe('on')

  // Its progress page; while not yet accepted it may be withdrawn, after the warning is confirmed.
  await tap(page, '#to-progress')
  const to = lastNavigation('redirectTo')
  expect(to).toEqual({ kind: 'redirectTo', route: 'pages/progress/detail', query: { number: submitted.number } })
  const detail = await openPage(to.route, to.query)
  expect(detail.instance.data.app.withdrawable).toBe(true)
  state.modalAnswer = false
  await tap(detail, '#withdraw')
  expect(detail.instance.data.app.status).toBe('submitted')
  expect(state.modals[state.modals.length - 1].content).toBe(detail.instance.data.app.withdraw_warning)
  state.modalAnswer = true
  await tap(detail, '#withdraw')
  expect(detail.instance.data.app.status).toBe('withdrawn')
  expect(text(detail, '#app-status')).toBe('已撤回')
  expect(detail.querySelector('#withdraw')).toBeFalsy()
  expect(state.toasts[state.toasts.length - 1].title).toBe('申请已撤回')
})
