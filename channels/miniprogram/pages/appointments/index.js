// Appointments: my bookings (cancel with a confirmation) and the way into a new booking.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

function withLabels(b) {
  const when = `${b.day} ${b.start}-${b.end}`
  return {
    ...b,
    when,
    cancellable: b.status === 'booked',
    cancelLabel: `取消预约：${b.item.name}，${when}，${b.hall.name}`,
  }
}

function confirm(title, content) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content,
      confirmText: '确认取消',
      cancelText: '不取消',
      success: (res) => resolve(Boolean(res.confirm)),
      fail: () => resolve(false),
    })
  })
}

Component({
  data: { bookings: [], loaded: false },
  methods: {
    onShow() {
      elder.sync(this)
      return this.load()
    },
    load() {
      return api
        .request({ path: '/api/v1/appointments' })
        .then((body) => this.setData({ bookings: body.bookings.map(withLabels), loaded: true }))
        .catch(() => this.setData({ loaded: true }))
    },
    onBook() {
      wx.navigateTo({ url: '/pages/appointments/book' })
    },
    onCancel(e) {
      const code = e.currentTarget.dataset.code
      const booking = this.data.bookings.find((b) => b.code === code)
      // LD/T 01 5.3.2: a change that cannot be undone is warned about and confirmed first.
      return confirm('取消预约', `确定取消 ${booking.when} 在${booking.hall.name}的预约吗？取消后该时段可能被他人预约。`)
        .then((yes) => {
          if (!yes) return null
          return api
            .request({ path: `/api/v1/appointments/${encodeURIComponent(code)}/cancel`, method: 'POST', data: {} })
            .then(() => {
              wx.showToast({ title: '预约已取消', icon: 'success' })
              return this.load()
            })
        })
        .catch(() => null)
    },
  },
})
