// One message; the gateway marks it read when it is opened.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

Component({
  data: { message: null },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad(query) {
      return api
        .request({ path: `/api/v1/inbox/${encodeURIComponent(query.id)}` })
        .then((message) => this.setData({ message }))
        .catch(() => null)
    },
  },
})
