// A guide's handling flow (办理流程, LD/T 01 5.6.2): the guide page lists the steps in their order, with the
// words the gateway's catalog generates for the web's diagram — read from GET /api/v1/catalog/{id}, not kept here.
const { json, gatewayUrl } = require('./support/gateway')
const { reset } = require('./support/wx')
const { openPage, text, attr } = require('./support/pages')

const CHANNEL = { 'X-Shebao-Channel': 'miniprogram' }

beforeEach(() => reset())

test('every kind of guide this channel carries lists its handling flow in order', async () => {
  const catalog = await json(`${gatewayUrl()}/api/v1/catalog`, { headers: CHANNEL })
  // One guide per handling kind (instant, promised, appointment: their flows differ in length and stages).
  const firsts = new Map()
  for (const i of catalog.data.items) if (!firsts.has(i.handling_kind)) firsts.set(i.handling_kind, i.id)
  expect(firsts.size).toBeGreaterThan(0)
  for (const id of firsts.values()) {
    const item = (await json(`${gatewayUrl()}/api/v1/catalog/${id}`, { headers: CHANNEL })).data
    const steps = item.flow.steps
    expect(steps.length).toBeGreaterThan(1)
    expect(steps.map((s) => s.number)).toEqual(steps.map((_s, i) => i + 1))
    expect([steps[0].kind, steps[steps.length - 1].kind]).toEqual(['apply', 'finish'])

    const page = await openPage('pages/guides/detail', { id })
    expect(text(page, '#guide-title')).toBe(item.name)
    expect(text(page, '#flow-title')).toBe(`办理流程（共 ${steps.length} 步）`)
    // The steps in the page's order are the API's, each with its words and every detail line.
    const shown = page.querySelector('#flow-steps').dom.children
    expect(shown).toHaveLength(steps.length)
    steps.forEach((step, i) => {
      const el = shown[i]
      expect(el.getAttribute('data-kind')).toBe(step.kind)
      expect(attr(page, `#flow-step-${step.number}`, 'data-kind')).toBe(step.kind)
      expect(text(page, `#flow-step-${step.number} .flow-head`)).toBe(`${step.number}. ${step.label}：${step.short}`)
      for (const line of step.details) expect(el.textContent).toContain(line)
    })
  }
})
