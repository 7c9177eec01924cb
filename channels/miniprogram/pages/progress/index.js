// My applications (LD/T 01 5.2.1 a), newest first.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

function dueText(due) {
  if (!due) return ''
  // A due date in a year whose holidays are not yet published is provisional (DESIGN "Rules").
  return due.provisional ? `预计${due.date}前办结（暂定）` : `${due.date}前办结`
}

Component({
  data: { applications: [], loaded: false },
  methods: {
    onShow() {
      elder.sync(this)
      return api
        .request({ path: '/api/v1/applications' })
        .then((body) =>
          this.setData({
            applications: body.applications.map((a) => ({
              ...a,
              due: dueText(a.due_date),
              label: `${a.item.name}，${a.status_label}，申请编号${a.number}`,
            })),
            loaded: true,
          }),
        )
        .catch(() => this.setData({ loaded: true }))
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/progress/detail?number=${encodeURIComponent(e.currentTarget.dataset.number)}` })
    },
  },
})
