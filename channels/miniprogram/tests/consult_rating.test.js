// 好差评 of a finished consultation in the mini-program (LD/T 01 7): a logged-in person sees their closed mailbox
// case on the consult page, rates it 非常不满意 once (every missing answer told at once), is told a member of
// staff will follow it up by a date, and the case then shows as rated. The case was closed by the pytest wrapper
// (SHEBAO_TEST_CLOSED_CASE), a new one each run.
const { loginAsBoundUser } = require('./support/session')
const { state } = require('./support/wx')
const { openPage, tap, type, text } = require('./support/pages')

beforeAll(() => loginAsBoundUser())

const pick = async (page, selector, index) => {
  page.querySelector(selector).dispatchEvent('change', { detail: { value: String(index) } })
  await tap(page, '#rate-form') // let the page settle (a tap on the card does nothing)
}

test('a closed case is rated once from the consult page and the follow-up is promised', async () => {
  const number = process.env.SHEBAO_TEST_CLOSED_CASE
  expect(number).toBeTruthy()
  const page = await openPage('pages/consult/index')
  const listed = page.instance.data.finished.find((c) => c.ref === number)
  expect(listed).toBeTruthy()
  expect(listed.rating).toBeNull()
  expect(text(page, `#finished-${number} .finished-title`)).toBe(`咨询 ${number}`)

  await tap(page, `#rate-${number}`)
  expect(text(page, '#rate-form .subtitle')).toBe(`评价：咨询 ${number}`)
  await tap(page, '#submit-rating')
  expect(page.instance.data.rateErrors).toHaveLength(4) // all four questions, at once
  expect(state.requests.some((r) => r.method === 'POST' && r.url.endsWith('/api/v1/info/evaluations'))).toBe(false)

  await pick(page, '#score-completeness', 2) // 基本满意
  await pick(page, '#score-ease', 3) // 不满意
  await pick(page, '#score-timeliness', 3)
  await pick(page, '#score-satisfaction', 4) // 非常不满意
  expect(text(page, '#score-satisfaction')).toBe('非常不满意')
  await type(page, '#rate-comment', '答复没有说清楚到账时间。')
  const button = page.querySelector('#submit-rating')
  button.dispatchEvent('tap')
  button.dispatchEvent('tap')
  await tap(page, '#submit-rating')
  const posts = state.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/v1/info/evaluations'))
  expect(posts).toHaveLength(1)
  expect(JSON.parse(posts[0].body)).toMatchObject({ subject: 'consultation', ref: number, satisfaction: 1, ease: 2 })

  expect(page.querySelector('#rate-form')).toBeFalsy()
  expect(text(page, '#rated-status')).toContain('非常不满意')
  expect(text(page, '#rated-status')).toMatch(/工作人员将在 \d{4}-\d{2}-\d{2} 前回访处理您的评价/)
  expect(text(page, `#finished-${number} .rated`)).toBe('您已评价：非常不满意')
  expect(text(page, `#finished-${number} .follow-up`)).toMatch(/前回访处理您的评价/)
  expect(page.querySelector(`#rate-${number}`)).toBeFalsy()
})
