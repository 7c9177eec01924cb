// Certificates: the list of documents, and one opened in WeChat's document viewer (wx.downloadFile with the
// bearer token, then wx.openDocument) — a sealed PDF the public check recognises.
const fs = require('fs')
const { exchange, gatewayUrl } = require('./support/gateway')
const { state } = require('./support/wx')
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap } = require('./support/pages')

beforeAll(() => loginAsBoundUser())

test('open the insurance proof in the document viewer', async () => {
  const page = await openPage('pages/certificates/index')
  const docs = page.instance.data.documents
  expect(docs.map((d) => d.kind)).toEqual(['person_proof', 'contribution_record', 'benefit_payments'])
  expect(docs[0].available).toBe(true)

  await tap(page, '#open-person_proof')
  expect(state.opened).toHaveLength(1)
  const opened = state.opened[0]
  expect(opened.fileType).toBe('pdf')
  const pdf = fs.readFileSync(opened.filePath)
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')

  // Anyone handed the file can check the seal and the anti-forgery record.
  const res = await exchange(`${gatewayUrl()}/api/v1/verify/pdf`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/pdf' },
    body: pdf,
  })
  const verdict = JSON.parse(res.body.toString('utf8'))
  expect(verdict).toMatchObject({ seal: 'sealed', result: 'genuine' }) // the whole answer shows on a failure
})

test('a period with no records is refused with the reason, and nothing is opened', async () => {
  const page = await openPage('pages/certificates/index')
  page.instance.setData({ 'periods.contribution_record': { start: '1991-01', end: '1991-02' } })
  await tap(page, '#open-contribution_record')
  expect(state.opened).toHaveLength(1) // still only the first test's document
  expect(state.toasts[state.toasts.length - 1].title).toMatch(/没有|缴费记录/)
})
