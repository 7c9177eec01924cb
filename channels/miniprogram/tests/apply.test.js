// Applying in three steps from the mini-program (issue 14): choose the item → the gateway asks for level 3 and
// the person confirms with their e-SSC (the sandbox's page, as in the web-view) → fill in the gateway's fields →
// upload a material chosen from a chat (wx.chooseMessageFile → wx.uploadFile multipart) → confirm and submit
// once, however fast the taps → WeChat reminders → the progress page. A reviewer then sends a one-time notice
// from the 12333 console and the person answers it from the progress page with a new file and a note. A second
// item, with declared fields of several kinds (a choice and a field shown only for one of its answers), is applied
// for and withdrawn after its warning (which also leaves the next run a clean slate).
const fs = require('fs')
const os = require('os')
const path = require('path')
const api = require('../utils/api')
const { exchange } = require('./support/gateway')
const { state, settle } = require('./support/wx')
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap, type, text, lastNavigation } = require('./support/pages')
const { requestSupplement } = require('./support/staff')

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
  for (const field of page.instance.data.fields.filter((f) => f.visible)) {
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

  // Its progress page; while not yet accepted it may be withdrawn — the person declines at the warning.
  await tap(page, '#to-progress')
  const to = lastNavigation('redirectTo')
  expect(to).toEqual({ kind: 'redirectTo', route: 'pages/progress/detail', query: { number: submitted.number } })
  const detail = await openPage(to.route, to.query)
  expect(detail.instance.data.app.withdrawable).toBe(true)
  expect(detail.querySelector('#supplement')).toBeFalsy()
  state.modalAnswer = false
  await tap(detail, '#withdraw')
  expect(detail.instance.data.app.status).toBe('submitted')
  expect(state.modals[state.modals.length - 1].content).toBe(detail.instance.data.app.withdraw_warning)
  state.modalAnswer = true

  // The reviewer sends a one-time notice; the page shows every problem together and leads to the answer.
  const problems = ['参保缴费凭证不清晰，请重新上传。', '请说明转出地社保经办机构名称。']
  await requestSupplement(submitted.number, problems)
  detail.instance.onShow()
  await settle()
  expect(detail.instance.data.app.status).toBe('supplement_requested')
  expect(detail.instance.data.app.notice).toEqual(problems)
  await tap(detail, '#supplement')
  const answer = lastNavigation('navigateTo')
  expect(answer).toEqual({ kind: 'navigateTo', route: 'pages/progress/supplement', query: { number: submitted.number } })
  const supplement = await openPage(answer.route, answer.query)
  expect(text(supplement, '#notice')).toContain(problems[1])
  // Nothing sent yet: the gateway says what is missing, and the application still waits.
  await tap(supplement, '#submit')
  expect(supplement.instance.data.errors[0]).toMatch(/[\u4e00-\u9fa5]/)
  expect(supplement.instance.data.done).toBe(null)
  // A clearer scan from the album (wx.chooseMedia), sent as a part of the answer, then a note and the answer.
  const clearer = path.join(os.tmpdir(), `参保缴费凭证-清晰-${process.pid}.pdf`)
  fs.writeFileSync(clearer, PDF)
  state.chosenFile = clearer
  const uploadsBefore = state.requests.length
  await tap(supplement, '#choose-photo-0')
  expect(state.calls.find((c) => c.kind === 'chooseMedia')).toBeTruthy()
  const part = state.requests.slice(uploadsBefore).find((r) => r.url.endsWith(`/applications/${submitted.number}/supplement`))
  expect(part.headers['Content-Type']).toMatch(/^multipart\/form-data; boundary=/)
  expect(supplement.instance.data.app.status).toBe('supplement_requested') // a part: still waiting
  expect(supplement.instance.data.materials[0].files).toHaveLength(1)
  await type(supplement, '#note', '转出地为陕西省西安市社会保险经办中心。')
  supplement.querySelector('#submit').dispatchEvent('tap')
  supplement.querySelector('#submit').dispatchEvent('tap')
  await settle()
  expect(supplement.instance.data.done.status).toBe('supplemented')
  expect(text(supplement, '#done-status')).toBe('已补正')
  const steps = supplement.instance.data.done.timeline.filter((t) => t.status === 'supplemented')
  expect(steps).toHaveLength(1) // two taps, one answer
  expect(steps[0].note).toBe('补正材料：1个文件；说明：转出地为陕西省西安市社会保险经办中心。')
  await tap(supplement, '#back')
  expect(lastNavigation('navigateBack')).toBeTruthy()
  detail.instance.onShow()
  await settle()
  expect(text(detail, '#app-status')).toBe('已补正')
  expect(detail.querySelector('#supplement')).toBeFalsy()
})

test('an item with declared fields: a choice, and the field its answer asks for; then withdrawn', async () => {
  const FIELDS_ITEM = 'person-info-change'
  expect(api.tokens().level).toBe(3) // stepped up in the test before
  const page = await openPage('pages/apply/form', { item: FIELDS_ITEM })
  const shown = () => page.instance.data.fields.filter((f) => f.visible).map((f) => f.name)
  // Before the choice only the choice and the common fields show; the answer "联系电话" brings its field.
  expect(shown()).toEqual(['change_item', 'phone', 'note'])
  const choice = page.instance.data.fields.find((f) => f.name === 'change_item')
  expect(choice.kind).toBe('choice')
  const phoneIndex = choice.choices.findIndex((c) => c.value === 'phone')
  page.querySelector('#field-change_item').dispatchEvent('change', { detail: { value: String(phoneIndex) } })
  await settle()
  expect(shown()).toEqual(['change_item', 'new_phone', 'phone', 'note'])
  expect(page.querySelector('#field-new_phone')).toBeTruthy()
  expect(page.instance.data.fields.find((f) => f.name === 'new_phone').inputType).toBe('number') // digits keyboard
  // The declared check at the gateway: a malformed phone number is refused in Chinese.
  await type(page, '#field-new_phone', '1380')
  await type(page, '#field-phone', '13800138000')
  await tap(page, '#save')
  expect(page.instance.data.step).toBe(1)
  expect(page.instance.data.errors.join('')).toContain('手机号码')
  await type(page, '#field-new_phone', '13912345678')
  await tap(page, '#save')
  expect(page.instance.data.errors).toEqual([])
  expect(page.instance.data.form.draft.values.change_item).toBe('phone')
  expect(page.instance.data.form.draft.values.new_phone).toBe('13912345678')
  await tap(page, '#next') // no materials for this item
  expect(page.instance.data.step).toBe(3)
  expect(text(page, '#step-3')).toContain(choice.choices[phoneIndex].label)
  await tap(page, '#submit')
  const submitted = page.instance.data.submitted
  expect(submitted.status).toBe('submitted')
  expect(submitted.item.id).toBe(FIELDS_ITEM)

  const detail = await openPage('pages/progress/detail', { number: submitted.number })
  state.modalAnswer = true
  await tap(detail, '#withdraw')
  expect(detail.instance.data.app.status).toBe('withdrawn')
  expect(text(detail, '#app-status')).toBe('已撤回')
  expect(detail.querySelector('#withdraw')).toBeFalsy()
  expect(state.toasts[state.toasts.length - 1].title).toBe('申请已撤回')
})

test('eligibility certification: the face check in the web-view instead of uploads, then the instant result', async () => {
  const FACE_ITEM = 'eligibility-certification'
  const list = await openPage('pages/apply/index')
  expect(list.instance.data.items.some((i) => i.id === FACE_ITEM && i.face_check)).toBe(true)
  const page = await openPage('pages/apply/form', { item: FACE_ITEM })
  expect(page.instance.data.faceCheck).toBe(true)
  expect(page.instance.data.form.steps[1]).toBe('人脸识别')
  await type(page, '#field-phone', '13800138000')
  await tap(page, '#save')
  expect(page.instance.data.step).toBe(2)
  expect(page.querySelector('#step-2-face')).toBeTruthy()
  expect(page.querySelector('#choose-file-0')).toBeFalsy() // nothing to upload
  await tap(page, '#face-start')
  const started = page.instance.data
  expect(page.querySelector('#face-view')).toBeTruthy()
  // What the person does on the provider's capture page, which then sends the web-view back to the gateway.
  const answered = await exchange(started.faceUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ verdict: 'pass', fault: '' }).toString(),
  })
  const back = new URL(answered.headers.location, started.faceUrl).toString()
  expect(back.startsWith(started.faceReturn)).toBe(true)
  page.querySelector('#face-view').dispatchEvent('load', { detail: { src: started.faceUrl } }) // the capture page
  await settle()
  expect(page.instance.data.step).toBe(2)
  page.querySelector('#face-view').dispatchEvent('load', { detail: { src: back } })
  await settle()
  expect(page.instance.data.errors).toEqual([])
  expect(page.instance.data.step).toBe(3)
  expect(page.querySelector('#face-view')).toBeFalsy()
  await tap(page, '#submit')
  const submitted = page.instance.data.submitted
  // An instant item: decided at once by the rules (approved or not, with the reason).
  expect(['approved', 'rejected']).toContain(submitted.status)
  expect(submitted.result).toMatch(/[\u4e00-\u9fa5]/)
})

test('a window-appointment item: uploads pre-reviewed online, then its window visit is booked from its page', async () => {
  const WINDOW_ITEM = 'work-injury-confirmation'
  const page = await openPage('pages/apply/form', { item: WINDOW_ITEM })
  expect(page.instance.data.form.item.handling_kind).toBe('appointment')
  await type(page, '#field-phone', '13800138000')
  await tap(page, '#save')
  expect(page.instance.data.step).toBe(2)
  const file = path.join(os.tmpdir(), `诊断证明-${process.pid}.pdf`)
  fs.writeFileSync(file, PDF)
  state.chosenFile = file
  const materials = page.instance.data.materials
  expect(materials.length).toBeGreaterThan(1)
  for (let i = 0; i < materials.length; i += 1) await tap(page, `#choose-file-${i}`)
  expect(page.instance.data.materials.every((m) => m.files.length === 1)).toBe(true)
  await tap(page, '#next')
  await tap(page, '#submit')
  const submitted = page.instance.data.submitted
  expect(submitted.status).toBe('prereviewed') // every copy is there: on to a window with the originals

  const detail = await openPage('pages/progress/detail', { number: submitted.number })
  expect(detail.instance.data.app.appointment_link).toBeTruthy()
  await tap(detail, '#book-window')
  const nav = lastNavigation('navigateTo')
  expect(nav).toEqual({ kind: 'navigateTo', route: 'pages/appointments/book', query: { item: WINDOW_ITEM } })
  const book = await openPage(nav.route, nav.query)
  expect(book.instance.data.item.id).toBe(WINDOW_ITEM) // step 1 answered by the application
  expect(text(book, '#step')).toBe('第2步，共3步')
  expect(book.instance.data.halls.length).toBeGreaterThan(0)
  // Not booked here (the booking itself is the appointments test's): withdrawn, the next run starts clean.
  state.modalAnswer = true
  await tap(detail, '#withdraw')
  expect(detail.instance.data.app.status).toBe('withdrawn')
})
