// One application with its timeline (LD/T 01 5.2.1 b) and, when materials are missing, the one notice
// that lists all of them together (GB/T 31621 6.2.1.3).
const api = require('../../utils/api')
const elder = require('../../utils/elder')

Component({
  data: { app: null },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad(query) {
      return api
        .request({ path: `/api/v1/applications/${encodeURIComponent(query.number)}` })
        .then((app) =>
          this.setData({
            app: {
              ...app,
              timeline: app.timeline.map((t) => ({ ...t, when: t.at.replace('T', ' ').slice(0, 16) })),
            },
          }),
        )
        .catch(() => null)
    },
  },
})
