// A window appointment in three steps (item → hall, day and slot with the places left → confirm), then
// cancelled from "my bookings" after a confirmation.
const api = require('../utils/api')
const { state, settle } = require('./support/wx')
const { json, gatewayUrl } = require('./support/gateway')
const { loginAsBoundUser } = require('./support/session')
const { openPage, tap, text, lastNavigation } = require('./support/pages')

beforeAll(() => loginAsBoundUser())

test('book in three steps, see it in my bookings, cancel it', async () => {
  const list = await openPage('pages/appointments/index')
  const already = list.instance.data.bookings.length
  await tap(list, '#new-booking')
  expect(lastNavigation('navigateTo').route).toBe('pages/appointments/book')

  const book = await openPage('pages/appointments/book')
  expect(text(book, '#step')).toBe('第1步，共3步')
  const items = book.instance.data.items
  expect(items.length).toBeGreaterThan(0)
  expect(items.every((i) => i.handling_kind !== 'instant')).toBe(true)

  // Step 1 → 2: an item with a hall.
  const item = items.find((i) => i.id === 'retirement-pension-claim') || items[0]
  await tap(book, `#item-${item.id}`)
  expect(text(book, '#step')).toBe('第2步，共3步')
  const halls = book.instance.data.halls
  expect(halls.length).toBeGreaterThan(0)
  if (!book.instance.data.hall) await tap(book, `#hall-${halls[0].id}`)
  const days = book.instance.data.days
  expect(days).toHaveLength(7) // from tomorrow, one week (LD/T 01 5.1 a)
  const tomorrow = new Date(Date.now() + 8 * 3600 * 1000 + 24 * 3600 * 1000).toISOString().slice(0, 10)
  expect(days[0].day).toBe(tomorrow)

  // Going on without a slot is refused with the reason at the top.
  await tap(book, '#to-confirm')
  expect(text(book, '#errors')).toBe('请选择预约时段。')

  const day = days.find((d) => d.day === book.instance.data.day)
  const slot = day.slots.find((s) => !s.full)
  expect(slot.label).toBe(`${slot.start}-${slot.end}，剩余${slot.remaining}个`)
  await tap(book, `#slot-${slot.id}`)
  await tap(book, '#to-confirm')
  expect(text(book, '#step')).toBe('第3步，共3步')
  expect(text(book, '#summary')).toContain(`${day.day} ${slot.start}-${slot.end}`)

  // A double tap books once (utils/guard): the second tap arrives while the first request is out.
  const confirm = book.querySelector('#confirm-booking')
  confirm.dispatchEvent('tap')
  confirm.dispatchEvent('tap')
  await settle()
  const posts = state.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/v1/appointments'))
  expect(posts).toHaveLength(1)
  const booking = book.instance.data.booking
  expect(booking.status).toBe('booked')
  expect(text(book, '#booking-code')).toBe(booking.code)

  // Right after the booking: the offer of WeChat reminders, with the template ids the gateway uses.
  const scenes = await json(`${gatewayUrl()}/api/v1/subscriptions/templates`)
  const ids = scenes.data.scenes.find((sc) => sc.scene === 'appointment').templates.map((t) => t.template_id)
  expect(ids).toContain('TPL_APPOINTMENT_REMINDER')
  expect(state.subscribeRequests).toHaveLength(0) // WeChat asks only on the person's tap
  await tap(book, '#subscribe-reminders')
  expect(state.subscribeRequests).toEqual([{ tmplIds: ids }])
  const recorded = state.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/v1/subscriptions'))
  expect(recorded).toHaveLength(1)
  expect(book.instance.data.reminders).toBe('on')
  expect(text(book, '#reminders-on')).toBe('已开启微信提醒。')

  // The slot has one place fewer now.
  const week = await api.request({ path: '/api/v1/appointments/slots', params: { hall: booking.hall.id } })
  const now = week.days.flatMap((d) => d.slots).find((s) => s.id === slot.id)
  expect(now.remaining).toBe(slot.remaining - 1)

  await tap(book, '#done')
  expect(lastNavigation().kind).toBe('navigateBack')

  const mine = await openPage('pages/appointments/index')
  expect(mine.instance.data.bookings).toHaveLength(already + 1)
  expect(text(mine, `#booking-${booking.code} .booking-status`)).toBe('已预约')

  // Declining the warning changes nothing; confirming it cancels.
  state.modalAnswer = false
  await tap(mine, `#cancel-${booking.code}`)
  expect(state.modals[state.modals.length - 1].content).toContain('确定取消')
  expect((await api.request({ path: '/api/v1/appointments' })).bookings.find((b) => b.code === booking.code).status).toBe(
    'booked',
  )
  state.modalAnswer = true
  await tap(mine, `#cancel-${booking.code}`)
  expect(state.toasts[state.toasts.length - 1].title).toBe('预约已取消')
  expect(text(mine, `#booking-${booking.code} .booking-status`)).toBe('已取消')
  expect(mine.querySelector(`#cancel-${booking.code}`)).toBeFalsy()
})

test('declining WeChat reminders after a booking is said plainly, and nothing is recorded', async () => {
  state.subscribeAnswer = 'reject'
  const book = await openPage('pages/appointments/book')
  book.instance.setData({ booking: { code: 'X', item: { name: '测试' }, hall: { name: '大厅' } }, reminderIds: ['TPL_APPOINTMENT_REMINDER'] })
  const before = state.requests.length
  await tap(book, '#subscribe-reminders')
  expect(text(book, '#reminders-off')).toContain('站内信')
  expect(state.requests.slice(before).some((r) => r.url.endsWith('/api/v1/subscriptions'))).toBe(false)
})
