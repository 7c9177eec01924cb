// 转人工 from the mini-program (LD/T 01 5.5.2 b): the help page's "not solved" card and the mailbox lead to the
// live chat page, which opens a conversation through the real gateway, shows the place in the queue, polls, and
// shows what a 12333 agent answers in the staff console. The agent is the pytest wrapper
// (tests/miniprogram/test_node_suite.py), which takes this channel's waiting conversations through the console's
// HTTP endpoints and replies with SHEBAO_CHAT_REPLY; the gateway runs with agents on duty all day.
const { json, gatewayUrl } = require('./support/gateway')
const { state, reset, settle } = require('./support/wx')
const { openPage, tap, type, text, lastNavigation } = require('./support/pages')

const REPLY = process.env.SHEBAO_CHAT_REPLY
const CHANNEL = { 'X-Shebao-Channel': 'miniprogram' }

beforeEach(() => reset())

/** Poll as the page's timer does until `done(page)` holds (the agent works on another thread). */
async function until(page, done, what) {
  for (let i = 0; i < 100; i += 1) {
    if (done(page)) return
    await page.instance.poll()
    await settle()
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`gave up waiting for ${what}: ${JSON.stringify(page.instance.data.messages)}`)
}

test('转人工 from help: queue place, the agent answers, the person writes back and ends the chat', async () => {
  expect(REPLY).toBeTruthy()
  const help = await openPage('pages/help/index', { q: '怎么办理护照' })
  await tap(help, '#to-chat')
  const nav = lastNavigation('navigateTo')
  expect(nav.route).toBe('pages/consult/chat')

  const page = await openPage(nav.route, nav.query)
  const hours = await json(`${gatewayUrl()}/api/v1/chat/hours`, { headers: CHANNEL })
  expect(hours.data.open).toBe(true)
  expect(page.instance.data.state).toBe('ready')
  expect(text(page, '#start-form')).toContain(hours.data.hours)
  // The console agent of this suite marked themselves available (在线): the person is told.
  expect(hours.data.agent_online).toBe(true)
  expect(text(page, '#agent-online')).toBe('目前有客服在线。')

  await type(page, '#first-text', '请问失业保险金怎么申请？')
  await tap(page, '#start-chat')
  const opened = state.requests.find((r) => r.method === 'POST' && r.url.endsWith('/api/v1/chat/conversations'))
  expect(JSON.parse(opened.body)).toEqual({ text: '请问失业保险金怎么申请？' })
  const { data } = page.instance
  expect(text(page, '#chat-number')).toMatch(/^LT\d{14}$/)
  // The answer to opening is the queue: the place is shown until an agent takes the conversation.
  if (data.state === 'waiting') {
    expect(data.position).toBeGreaterThanOrEqual(1)
    expect(text(page, '#position')).toContain(`第 ${data.position} 位`)
    expect(data.agentOnline).toBe(true)
    expect(page.querySelector('#no-agent')).toBeFalsy()
  }
  expect(data.messages.map((m) => m.text)).toContain('请问失业保险金怎么申请？')
  // The secret that opens the conversation again travels in X-Chat-Token, never in the address.
  const token = state.storage.get('shebao_chat').token
  expect(token.length).toBeGreaterThan(20)
  expect(state.requests.every((r) => !r.url.includes(token))).toBe(true)

  await until(page, (p) => p.instance.data.messages.some((m) => m.sender === 'agent'), "the agent's reply")
  expect(page.instance.data.state).toBe('active')
  expect(text(page, '#chat-status')).toBe('人工服务中')
  expect(page.querySelector('#position')).toBeFalsy()
  const reply = page.instance.data.messages.find((m) => m.sender === 'agent')
  expect(reply.text).toBe(REPLY)
  expect(text(page, `#message-${reply.id}`)).toContain(REPLY)
  expect(text(page, `#message-${reply.id}`)).toContain('人工客服')
  const polls = state.requests.filter((r) => r.method === 'GET' && r.url.includes('/api/v1/chat/conversations/'))
  expect(polls.every((r) => r.headers['X-Chat-Token'] === token)).toBe(true)

  // Nothing to send is refused on the page; a message goes once however often it is tapped.
  const before = state.requests.length
  await tap(page, '#send')
  expect(text(page, '#errors')).toBe('请输入要发送的内容。')
  expect(state.requests.length).toBe(before)
  await type(page, '#chat-text', '好的，谢谢！')
  page.querySelector('#send').dispatchEvent('tap')
  await tap(page, '#send')
  const sends = state.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/messages'))
  expect(sends).toHaveLength(1)
  expect(page.instance.data.messages.filter((m) => m.text === '好的，谢谢！' && m.mine)).toHaveLength(1)
  expect(page.instance.data.text).toBe('')

  await tap(page, '#close-chat')
  expect(page.instance.data.state).toBe('closed')
  expect(text(page, '#chat-status')).toBe('已结束')
  expect(page.instance.timer).toBeFalsy() // no more polling once closed
  expect(state.storage.has('shebao_chat')).toBe(false)
  // The gateway agrees: the secret still reads the closed transcript, where the agent's reply is kept.
  const { id } = page.instance.conversation
  const after = await json(`${gatewayUrl()}/api/v1/chat/conversations/${id}`, { headers: { ...CHANNEL, 'X-Chat-Token': token } })
  expect(after.data.status).toBe('closed')
  expect(after.data.messages.map((m) => m.text)).toEqual(expect.arrayContaining([REPLY, '好的，谢谢！']))
  page.instance.onUnload()
})

test('the mailbox page leads to the chat, and a conversation left open is resumed on coming back', async () => {
  const mailbox = await openPage('pages/consult/index')
  await tap(mailbox, '#to-chat')
  expect(lastNavigation('navigateTo').route).toBe('pages/consult/chat')

  const page = await openPage('pages/consult/chat')
  await tap(page, '#start-chat') // nothing typed: the first message is optional
  expect(['waiting', 'active']).toContain(page.instance.data.state)
  const number = text(page, '#chat-number')
  page.instance.onUnload()

  const again = await openPage('pages/consult/chat')
  expect(text(again, '#chat-number')).toBe(number)
  expect(again.instance.timer).toBeTruthy()
  await tap(again, '#close-chat')
  expect(again.instance.data.state).toBe('closed')
  await tap(again, '#restart')
  expect(again.instance.data.state).toBe('ready')
  expect(again.instance.data.messages).toEqual([])
  again.instance.onUnload()
})

test('waiting with nobody online, the person is told and may leave a message instead', async () => {
  const page = await openPage('pages/consult/chat')
  // What a poll answers while waiting with every agent away (the gateway's side: tests/chat/test_presence.py).
  page.instance.show({
    status: 'waiting',
    number: 'LT20261205000001',
    status_label: '排队中',
    position: 2,
    agent_online: false,
    last_id: 0,
    messages: [],
  })
  await settle()
  expect(text(page, '#position')).toContain('第 2 位')
  expect(text(page, '#no-agent')).toContain('目前暂无客服在线')
  await tap(page, '#waiting-mailbox')
  expect(lastNavigation('redirectTo').route).toBe('pages/consult/index')
  page.instance.onUnload()
})

test('outside service hours the page offers the mailbox and 12333 instead', async () => {
  const page = await openPage('pages/consult/chat')
  // The gateway of this suite has agents on duty all day; what the page does with a closed answer is shown on
  // the page's own handler of the hours answer (the gateway's side of outside hours is tested in tests/chat).
  // Within hours with nobody online: the person may still queue, and is told so.
  page.instance.showHours({ open: true, hours: '每天 0:00—24:00（北京时间）', agent_online: false })
  await settle()
  expect(text(page, '#agent-online')).toBe('目前暂无客服在线，您可以转人工排队等候，也可以在线留言。')
  expect(page.querySelector('#start-chat')).toBeTruthy()
  page.instance.showHours({ open: false, hours: '法定工作日 8:30—17:30（北京时间）' })
  await settle()
  expect(page.querySelector('#start-chat')).toBeFalsy()
  expect(text(page, '#hours')).toBe('法定工作日 8:30—17:30（北京时间）')
  await tap(page, '#to-mailbox')
  expect(lastNavigation('redirectTo').route).toBe('pages/consult/index')
  await tap(page, '#call-12333')
  expect(state.calls.find((c) => c.kind === 'makePhoneCall').phoneNumber).toBe('12333')
  page.instance.onUnload()
})
