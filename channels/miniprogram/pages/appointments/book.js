// A booking in three steps (LD/T 01 6.1.3): 1 choose the item → 2 hall, day and time (with the places
// left) → 3 confirm. Bookable days start tomorrow and span a week (LD/T 01 5.1 a); the gateway decides.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')
const subscribe = require('../../utils/subscribe')

Component({
  data: {
    step: 1,
    items: [],
    item: null,
    halls: [],
    hall: null,
    days: [],
    day: null,
    slot: null,
    booking: null,
    errors: [],
    elder: false,
    reminderIds: [], // the template ids the gateway sends reminders and cancellations with
    reminders: '', // '' → not asked yet; 'on' → allowed; 'off' → declined
  },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad(query) {
      const wanted = (query && query.item) || ''
      return api
        .request({ path: '/api/v1/appointments/items' })
        .then((body) => {
          // Window appointments are for items handled at a hall; instant items are done online at once.
          const items = body.items.filter((i) => i.handling_kind !== 'instant')
          this.setData({ items })
          // Sent here for one item (a pre-reviewed application's window visit): step 1 is already answered.
          if (!items.some((i) => i.id === wanted)) return null
          return this.onChooseItem({ currentTarget: { dataset: { id: wanted } } })
        })
        .catch(() => null)
    },
    onChooseItem(e) {
      const item = this.data.items.find((i) => i.id === e.currentTarget.dataset.id)
      this.setData({ item, hall: null, days: [], day: null, slot: null, errors: [] })
      return api
        .request({ path: '/api/v1/appointments/halls', params: { item: item.id } })
        .then((body) => {
          this.setData({ step: 2, halls: body.halls })
          if (!body.halls.length) this.setData({ errors: ['该事项暂无可预约的服务网点，请拨打 12333 咨询。'] })
          else if (body.halls.length === 1) return this.chooseHall(body.halls[0].id)
          return null
        })
        .catch(() => null)
    },
    onChooseHall(e) {
      return this.chooseHall(Number(e.currentTarget.dataset.id))
    },
    chooseHall(hallId) {
      return api
        .request({ path: '/api/v1/appointments/slots', params: { hall: hallId } })
        .then((body) => {
          const days = body.days.map((d) => ({
            ...d,
            label: d.open ? d.day : `${d.day}（不办公）`,
            slots: d.slots.map((s) => ({
              ...s,
              full: s.remaining <= 0,
              label: `${s.start}-${s.end}，${s.remaining > 0 ? `剩余${s.remaining}个` : '已约满'}`,
            })),
          }))
          const first = days.find((d) => d.open && d.slots.some((s) => !s.full))
          this.setData({ hall: body.hall, days, day: first ? first.day : null, slot: null, errors: [] })
        })
        .catch(() => null)
    },
    onChooseDay(e) {
      this.setData({ day: e.currentTarget.dataset.day, slot: null })
    },
    onChooseSlot(e) {
      const id = Number(e.currentTarget.dataset.id)
      const day = this.data.days.find((d) => d.day === this.data.day)
      const slot = day.slots.find((s) => s.id === id)
      if (slot.full) {
        this.setData({ errors: ['该时段已约满，请选择其他时段。'] })
        return
      }
      this.setData({ slot, errors: [] })
    },
    onNext() {
      if (!this.data.slot) {
        this.setData({ errors: ['请选择预约时段。'] })
        return
      }
      this.setData({ step: 3, errors: [] })
    },
    onBack() {
      this.setData({ step: this.data.step - 1, errors: [] })
    },
    // One booking per confirmation, however fast the taps come (utils/guard).
    onConfirm: guard.once(function onConfirm() {
      return api
        .request({
          path: '/api/v1/appointments',
          method: 'POST',
          data: { item: this.data.item.id, slot: this.data.slot.id },
        })
        .then((booking) => {
          this.setData({ booking, errors: [] })
          // Fetched now, so the tap on "开启微信提醒" can ask WeChat at once (it must happen in the tap).
          return subscribe.prepare('appointment').then(
            (ids) => this.setData({ reminderIds: ids }),
            () => null,
          )
        })
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
    onSubscribe: guard.once(function onSubscribe() {
      return subscribe
        .request(this.data.reminderIds)
        .then((accepted) => {
          this.setData({ reminders: accepted.length ? 'on' : 'off' })
          if (accepted.length) wx.showToast({ title: '已开启微信提醒', icon: 'success' })
        })
        .catch(() => this.setData({ reminders: 'off' }))
    }),
    onDone() {
      wx.navigateBack()
    },
  },
})
