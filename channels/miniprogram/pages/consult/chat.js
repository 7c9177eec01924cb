// 在线人工咨询 (level 3, from 常见问题 and 咨询留言: "转人工", LD/T 01 5.5.2 b). Within service hours the person
// opens a conversation through the API (POST /api/v1/chat/conversations), sees their place in the queue while
// waiting, and the page polls (GET …/conversations/{id}?since=<last id>) for the agent's replies; the secret the
// gateway answers on opening goes in X-Chat-Token on every later call. Outside service hours the mailbox is
// offered instead. No login is needed; a logged-in person's conversation is kept with their account.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

const POLL_MS = 3000
// The open conversation, so that leaving the page and coming back (or WeChat reloading it) resumes it.
const KEPT_KEY = 'shebao_chat'
const TEXT_MAX = 500

function view(message) {
  // The time a person reads is Beijing time, as the gateway wrote it (…T10:31:00+08:00 → 10:31).
  const at = /T(\d{2}:\d{2})/.exec(message.at || '')
  return { ...message, time: at ? at[1] : '', mine: message.sender === 'person' }
}

Component({
  data: {
    state: 'loading', // loading → offline (outside hours) | ready → waiting → active → closed
    hours: '',
    number: '',
    statusLabel: '',
    position: null,
    // Whether an agent is online (the hours answer before opening; each poll while waiting).
    agentOnline: null,
    messages: [],
    text: '',
    errors: [],
    elder: false,
  },
  methods: {
    onLoad() {
      this.lastId = 0
      const kept = wx.getStorageSync(KEPT_KEY)
      if (kept && kept.id && kept.token) {
        this.conversation = kept
        return this.poll().then(() => this.startTimer())
      }
      return this.loadHours()
    },
    onShow() {
      elder.sync(this)
    },
    onUnload() {
      // The conversation stays open on the gateway: a waiting one leaves the queue when nobody asks for news.
      this.stopTimer()
    },
    loadHours() {
      return api
        .request({ path: '/api/v1/chat/hours', auth: false, quiet: true })
        .then((found) => this.showHours(found))
        .catch((err) => this.setData({ state: 'ready', errors: [err.message] }))
    },
    showHours(found) {
      this.setData({ hours: found.hours, state: found.open ? 'ready' : 'offline', agentOnline: found.agent_online })
    },
    startTimer() {
      this.stopTimer()
      if (this.data.state === 'waiting' || this.data.state === 'active') {
        this.timer = setInterval(() => this.poll(), POLL_MS)
      }
    },
    stopTimer() {
      if (this.timer) clearInterval(this.timer)
      this.timer = null
    },
    headers() {
      return { 'X-Chat-Token': this.conversation.token }
    },
    show(body) {
      const seen = new Set(this.data.messages.map((m) => m.id))
      const fresh = (body.messages || []).filter((m) => !seen.has(m.id)).map(view)
      this.lastId = Math.max(this.lastId, body.last_id || 0)
      this.setData({
        state: body.status,
        number: body.number,
        statusLabel: body.status_label,
        position: body.position,
        agentOnline: body.agent_online,
        messages: this.data.messages.concat(fresh),
      })
      if (body.status === 'closed') {
        this.stopTimer()
        wx.removeStorageSync(KEPT_KEY)
      }
    },
    onText(e) {
      this.setData({ text: e.detail.value })
    },
    onStart: guard.once(function onStart() {
      const text = this.data.text.trim()
      this.setData({ errors: [] })
      return api
        .request({
          path: '/api/v1/chat/conversations',
          method: 'POST',
          auth: api.loggedIn(),
          data: { text: text || null },
          quiet: true,
        })
        .then((body) => {
          this.conversation = { id: body.id, token: body.token }
          wx.setStorageSync(KEPT_KEY, this.conversation)
          this.setData({ text: '' })
          this.show(body)
          this.startTimer()
        })
        .catch((err) => {
          // Service hours ended while the page was open: offer the mailbox as the gateway does.
          if (err.code === 'outside_hours') this.setData({ state: 'offline' })
          this.setData({ errors: [err.message] })
        })
    }),
    poll() {
      if (!this.conversation || this.polling) return Promise.resolve()
      this.polling = true
      return api
        .request({
          path: `/api/v1/chat/conversations/${this.conversation.id}`,
          params: { since: this.lastId },
          header: this.headers(),
          auth: false,
          quiet: true,
        })
        .then((body) => this.show(body))
        .catch((err) => {
          if (err.code === 'chat_not_found') {
            // The kept conversation is gone (or its secret no longer opens it): start afresh.
            this.stopTimer()
            wx.removeStorageSync(KEPT_KEY)
            this.conversation = null
            this.setData({ state: 'loading', messages: [] })
            return this.loadHours()
          }
          this.setData({ errors: [err.message] })
          return null
        })
        .finally(() => {
          this.polling = false
        })
    },
    onSend: guard.once(function onSend() {
      const text = this.data.text.trim()
      if (!text) {
        this.setData({ errors: ['请输入要发送的内容。'] })
        return Promise.resolve()
      }
      if (text.length > TEXT_MAX) {
        this.setData({ errors: [`每条消息不能超过${TEXT_MAX}个字。`] })
        return Promise.resolve()
      }
      this.setData({ errors: [] })
      return api
        .request({
          path: `/api/v1/chat/conversations/${this.conversation.id}/messages`,
          method: 'POST',
          data: { text },
          header: this.headers(),
          auth: false,
          quiet: true,
        })
        .then(() => {
          this.setData({ text: '' })
          return this.poll()
        })
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
    onClose: guard.once(function onClose() {
      return api
        .request({
          path: `/api/v1/chat/conversations/${this.conversation.id}/close`,
          method: 'POST',
          header: this.headers(),
          auth: false,
          quiet: true,
        })
        .then((body) => this.show(body))
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
    onRestart() {
      this.conversation = null
      this.lastId = 0
      this.setData({ messages: [], state: 'loading', position: null, number: '' })
      return this.loadHours()
    },
    onMailbox() {
      wx.redirectTo({ url: '/pages/consult/index' })
    },
    onCall() {
      wx.makePhoneCall({ phoneNumber: '12333' })
    },
  },
})
