// One message; the gateway marks it read when it is opened.
const api = require('../../utils/api')

Component({
  data: { message: null },
  methods: {
    onLoad(query) {
      return api
        .request({ path: `/api/v1/inbox/${encodeURIComponent(query.id)}` })
        .then((message) => this.setData({ message }))
        .catch(() => null)
    },
  },
})
