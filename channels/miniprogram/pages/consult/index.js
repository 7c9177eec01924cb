// 咨询留言 (level 2; a login is not needed, and a logged-in person's message is kept with their account):
// the consultation mailbox (POST /api/v1/consult/cases, LD/T 01 5.5.1), answered within the time limit the
// gateway gives back (5.5.3), with the number and the tracking code to look it up.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

const KINDS = [
  { value: 'consultation', label: '咨询' },
  { value: 'suggestion', label: '建议' },
  { value: 'complaint', label: '投诉' },
  { value: 'report', label: '举报' },
]
const TOPICS = [
  { value: 'pension', label: '养老保险' },
  { value: 'unemployment', label: '失业保险' },
  { value: 'work_injury', label: '工伤保险' },
  { value: 'card', label: '社会保障卡' },
  { value: 'service', label: '经办服务与其他' },
]

Component({
  data: {
    kinds: KINDS,
    topics: TOPICS,
    kindIndex: 0,
    topicIndex: -1,
    subject: '',
    body: '',
    phone: '',
    errors: [],
    filed: null,
    elder: false,
  },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onKind(e) {
      this.setData({ kindIndex: Number(e.detail.value) })
    },
    onTopic(e) {
      this.setData({ topicIndex: Number(e.detail.value) })
    },
    onSubject(e) {
      this.setData({ subject: e.detail.value })
    },
    onBody(e) {
      this.setData({ body: e.detail.value })
    },
    onPhone(e) {
      this.setData({ phone: e.detail.value.trim() })
    },
    onChat() {
      wx.navigateTo({ url: '/pages/consult/chat' })
    },
    onSubmit: guard.once(function onSubmit() {
      const errors = []
      if (this.data.topicIndex < 0) errors.push('请选择留言涉及的业务。')
      if (!this.data.subject.trim()) errors.push('请填写标题。')
      if (!this.data.body.trim()) errors.push('请填写留言内容。')
      if (errors.length) {
        this.setData({ errors })
        return Promise.resolve()
      }
      this.setData({ errors: [] })
      return api
        .request({
          path: '/api/v1/consult/cases',
          method: 'POST',
          auth: api.loggedIn(),
          data: {
            kind: KINDS[this.data.kindIndex].value,
            topic: TOPICS[this.data.topicIndex].value,
            subject: this.data.subject.trim(),
            body: this.data.body.trim(),
            phone: this.data.phone || null,
          },
        })
        .then((filed) => this.setData({ filed }))
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
  },
})
