// 咨询留言 (level 2; a login is not needed, and a logged-in person's message is kept with their account):
// the consultation mailbox (POST /api/v1/consult/cases, LD/T 01 5.5.1), answered within the time limit the
// gateway gives back (5.5.3), with the number and the tracking code to look it up. A logged-in person also sees
// their finished cases and chats here and rates each once (好差评, LD/T 01 7) through the one rating operation
// (POST /api/v1/info/evaluations); a 差评 is followed up by staff and the page shows the deadline, then the outcome.
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

// The national five-level scale, best first as the web form shows it, and the four questions of LD/T 01 7.
const LEVELS = [
  { value: 5, label: '非常满意' },
  { value: 4, label: '满意' },
  { value: 3, label: '基本满意' },
  { value: 2, label: '不满意' },
  { value: 1, label: '非常不满意' },
]
const DIMENSIONS = [
  { field: 'completeness', question: '服务事项是否齐全、办事指南是否完整准确' },
  { field: 'ease', question: '办理是否方便、操作是否简便' },
  { field: 'timeliness', question: '是否在承诺时限内办结、答复是否及时' },
  { field: 'satisfaction', question: '对本次服务的总体评价' },
]
const NO_SCORES = { completeness: -1, ease: -1, timeliness: -1, satisfaction: -1 }

// "2026-12-04T10:32:05" (the API's Beijing time) as people read it.
const shown = (at) => (at || '').replace('T', ' ').slice(0, 16)

// One picker handler per question: the picker's change names only the chosen index.
const scoreHandlers = {}
for (const d of DIMENSIONS) {
  const name = `onScore${d.field[0].toUpperCase()}${d.field.slice(1)}`
  scoreHandlers[name] = function onScore(e) {
    this.setData({ [`scores.${d.field}`]: Number(e.detail.value) })
  }
}

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
    finished: [],
    levels: LEVELS,
    dimensions: DIMENSIONS,
    rating: null,
    scores: NO_SCORES,
    comment: '',
    rateErrors: [],
    rated: null,
  },
  methods: {
    onShow() {
      elder.sync(this)
      return this.loadFinished()
    },
    loadFinished() {
      if (!api.loggedIn()) return Promise.resolve()
      return api
        .request({ path: '/api/v1/info/evaluations/consultations', quiet: true })
        .then((answer) =>
          this.setData({
            finished: answer.consultations.map((c) => ({ ...c, finishedText: shown(c.finished_at) })),
          }),
        )
        .catch(() => null) // the list is an extra here: the mailbox form works without it
    },
    onRateStart(e) {
      const c = this.data.finished[Number(e.currentTarget.dataset.index)]
      this.setData({
        rating: { subject: c.subject, ref: c.ref, title: c.title },
        scores: NO_SCORES,
        comment: '',
        rateErrors: [],
        rated: null,
      })
    },
    ...scoreHandlers,
    onRateComment(e) {
      this.setData({ comment: e.detail.value })
    },
    onRateCancel() {
      this.setData({ rating: null, rateErrors: [] })
    },
    onRateSubmit: guard.once(function onRateSubmit() {
      const { rating, scores } = this.data
      // Every missing answer at once, as the web form's summary does.
      const rateErrors = DIMENSIONS.filter((d) => scores[d.field] < 0).map((d) => `请为“${d.question}”选择一项评价。`)
      if (rateErrors.length) {
        this.setData({ rateErrors })
        return Promise.resolve()
      }
      const data = { subject: rating.subject, ref: rating.ref, comment: this.data.comment.trim() }
      for (const d of DIMENSIONS) data[d.field] = LEVELS[scores[d.field]].value
      return api
        .request({ path: '/api/v1/info/evaluations', method: 'POST', data })
        .then((answer) => {
          this.setData({ rating: null, rateErrors: [], rated: { title: rating.title, ...answer } })
          return this.loadFinished()
        })
        .catch((err) => this.setData({ rateErrors: [err.message] }))
    }),
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
