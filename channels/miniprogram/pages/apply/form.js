// Applying online in three steps (LD/T 01 5.3, 6.1.3): 1 fill in (what the back office knows is shown, not
// asked again — Regulation Art. 31), 2 upload the materials (wx.chooseMessageFile from a chat or wx.chooseMedia
// from the album/camera, sent with wx.uploadFile as multipart to the gateway, which checks their content),
// 3 confirm the risks and submit. The fields come from the gateway's form (`fields`), so an item that gains
// fields shows them without a change here. An item that needs level 3 is answered "step_up_required": the
// page offers the e-SSC check (pages/account/stepup) and carries on afterwards. An item that needs the face
// check (eligibility certification) has it as step 2 instead of uploads.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')
const subscribe = require('../../utils/subscribe')

const EXTENSIONS = ['pdf', 'jpg', 'jpeg', 'png']

// The keyboard each declared kind gets (gateway/catalog/forms.yaml); a choice and a date are pickers.
const INPUT_TYPES = { phone: 'number', bank_account: 'number', number: 'digit' }

function today() {
  const d = new Date(Date.now() + 8 * 3600 * 1000) // Beijing date, whatever the phone's zone
  return d.toISOString().slice(0, 10)
}

function fieldsOf(form, values) {
  return (form.fields || []).map((f) => {
    const index = (f.choices || []).findIndex((c) => c.value === values[f.name])
    // A field required only for one answer of another (required_when) is shown only with that answer.
    const when = Object.entries(f.required_when || {})
    return {
      ...f,
      value: values[f.name] || '',
      visible: when.every(([other, answer]) => values[other] === answer),
      inputType: INPUT_TYPES[f.kind] || 'text',
      choiceIndex: index,
      choiceLabel: index >= 0 ? f.choices[index].label : '',
      choiceLabels: (f.choices || []).map((c) => c.label),
      hint: f.help || '',
    }
  })
}

function materialsOf(form) {
  const uploaded = (form.draft && form.draft.materials) || []
  return (form.materials || []).map((m) => ({
    ...m,
    files: uploaded.filter((u) => u.material === m.name),
  }))
}

Component({
  data: {
    itemId: '',
    today: today(),
    form: null,
    fields: [],
    materials: [],
    values: {},
    step: 1,
    errors: [],
    needsStepUp: false,
    stepUpMessage: '',
    faceCheck: false,
    faceUrl: '',
    faceReturn: '',
    riskConfirmed: false,
    submitted: null,
    subscribeIds: [],
    subscribed: '',
    elder: false,
  },
  methods: {
    onLoad(query) {
      this.setData({ itemId: query.item || '' })
      return this.load()
    },
    onShow() {
      elder.sync(this)
      // Back from the e-SSC check: carry on where the person was going.
      const t = api.tokens()
      if (this.data.needsStepUp && t && t.level >= 3) {
        this.setData({ needsStepUp: false })
        return this.load()
      }
      return Promise.resolve()
    },
    load() {
      return api
        .request({ path: `/api/v1/apply/${encodeURIComponent(this.data.itemId)}`, quiet: true })
        .then((form) => this.show(form))
        .catch((err) => {
          if (err.code === 'step_up_required') this.setData({ needsStepUp: true, stepUpMessage: err.message })
          else {
            wx.showToast({ title: err.message, icon: 'none', duration: 3000 })
            this.setData({ errors: [err.message] })
          }
        })
    },
    show(form) {
      const values = { ...((form.draft && form.draft.values) || {}) }
      this.setData({
        form,
        values,
        fields: fieldsOf(form, values),
        materials: materialsOf(form),
        faceCheck: Boolean(form.item.face_check),
      })
    },
    onStepUp() {
      wx.navigateTo({ url: '/pages/account/stepup' })
    },
    onInput(e) {
      this.setData({ [`values.${e.currentTarget.dataset.name}`]: e.detail.value })
    },
    onPick(e) {
      const name = e.currentTarget.dataset.name
      const field = this.data.fields.find((f) => f.name === name)
      const choice = field.choices[Number(e.detail.value)]
      this.setData({ [`values.${name}`]: choice.value })
      this.setData({ fields: fieldsOf(this.data.form, this.data.values) })
    },
    onDate(e) {
      const name = e.currentTarget.dataset.name
      this.setData({ [`values.${name}`]: e.detail.value })
      this.setData({ fields: fieldsOf(this.data.form, this.data.values) })
    },
    // Step 1: every problem is told at once by the gateway (GB/T 31621 6.2.1.3). A hidden field is sent empty,
    // so an answer typed before the person changed their choice is not kept.
    onSave: guard.once(function onSave() {
      const fields = {}
      for (const f of this.data.fields) fields[f.name] = f.visible ? this.data.values[f.name] || '' : ''
      return api
        .request({
          path: `/api/v1/apply/${encodeURIComponent(this.data.itemId)}`,
          method: 'POST',
          data: { fields },
          quiet: true,
        })
        .then((form) => {
          this.show(form)
          this.setData({ step: 2, errors: [] })
        })
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
    uploadFrom(chooser, material) {
      return new Promise((resolve) => {
        chooser({ success: resolve, fail: () => resolve(null) })
      }).then((picked) => {
        if (!picked) return null
        const file = picked.tempFiles[0]
        return api
          .upload({
            path: `/api/v1/apply/${encodeURIComponent(this.data.itemId)}/materials`,
            filePath: file.tempFilePath || file.path,
            formData: { material },
            quiet: true,
          })
          .then((draft) => {
            const form = { ...this.data.form, draft }
            this.setData({ form, materials: materialsOf(form), errors: [] })
            wx.showToast({ title: '已上传', icon: 'success' })
          })
          .catch((err) => this.setData({ errors: [err.message] }))
      })
    },
    onChooseFile: guard.once(function onChooseFile(e) {
      const material = e.currentTarget.dataset.material
      return this.uploadFrom(
        (cb) => wx.chooseMessageFile({ count: 1, type: 'file', extension: EXTENSIONS, ...cb }),
        material,
      )
    }),
    onChoosePhoto: guard.once(function onChoosePhoto(e) {
      const material = e.currentTarget.dataset.material
      return this.uploadFrom(
        (cb) => wx.chooseMedia({ count: 1, mediaType: ['image'], sourceType: ['album', 'camera'], ...cb }),
        material,
      )
    }),
    onDelete: guard.once(function onDelete(e) {
      const id = e.currentTarget.dataset.id
      return api
        .request({
          path: `/api/v1/apply/${encodeURIComponent(this.data.itemId)}/materials/${id}`,
          method: 'DELETE',
        })
        .then((draft) => {
          const form = { ...this.data.form, draft }
          this.setData({ form, materials: materialsOf(form) })
        })
        .catch(() => null)
    }),
    // Step 2 of a face-checked item (LD/T 01 5.4.3 a): the provider's capture page in a web-view; when it sends
    // the person back to the gateway's return address, the web-view's load event carries that address and its
    // session id, and the gateway fetches and checks the verdict server to server (finishFaceCheck).
    onFaceStart: guard.once(function onFaceStart() {
      return api
        .request({
          path: `/api/v1/apply/${encodeURIComponent(this.data.itemId)}/face`,
          method: 'POST',
          quiet: true,
        })
        .then((started) => this.setData({ faceUrl: started.capture_url, faceReturn: started.return_url, errors: [] }))
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
    onFaceLoad(e) {
      const src = (e.detail && e.detail.src) || ''
      if (!this.data.faceReturn || !src.startsWith(this.data.faceReturn)) return Promise.resolve()
      const sessionId = new URLSearchParams(src.split('?')[1] || '').get('session_id') || ''
      this.setData({ faceUrl: '', faceReturn: '' })
      return api
        .request({
          path: `/api/v1/apply/${encodeURIComponent(this.data.itemId)}/face/result`,
          method: 'POST',
          data: { session_id: sessionId },
          quiet: true,
        })
        .then((result) => {
          const form = { ...this.data.form, draft: { ...this.data.form.draft, face_check_passed: true, ready: true } }
          this.setData({ form, step: 3, errors: [] })
          wx.showToast({ title: result.message, icon: 'none' })
        })
        .catch((err) => this.setData({ errors: [err.message] }))
    },
    onNext() {
      const missing = this.data.materials.filter((m) => !m.files.length).map((m) => m.name)
      if (missing.length) {
        this.setData({ errors: missing.map((name) => `请上传“${name}”。`) })
        return
      }
      this.setData({ step: 3, errors: [] })
    },
    onBack() {
      this.setData({ step: Math.max(1, this.data.step - 1), errors: [] })
    },
    onRisk(e) {
      this.setData({ riskConfirmed: (e.detail.value || []).includes('yes') })
    },
    // Step 3: one submission however fast the taps come (utils/guard).
    onSubmit: guard.once(function onSubmit() {
      return api
        .request({
          path: `/api/v1/apply/${encodeURIComponent(this.data.itemId)}/submit`,
          method: 'POST',
          data: { confirm_risk: this.data.riskConfirmed },
          quiet: true,
        })
        .then((submitted) => {
          this.setData({ submitted, errors: [] })
          // Fetched now, so the tap on "开启微信提醒" can ask WeChat at once (it must happen in the tap).
          return subscribe.prepare('application').then(
            (ids) => this.setData({ subscribeIds: ids }),
            () => null,
          )
        })
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
    onSubscribe: guard.once(function onSubscribe() {
      return subscribe
        .request(this.data.subscribeIds)
        .then((accepted) => this.setData({ subscribed: accepted.length ? 'on' : 'off' }))
        .catch(() => this.setData({ subscribed: 'off' }))
    }),
    onProgress() {
      wx.redirectTo({ url: `/pages/progress/detail?number=${encodeURIComponent(this.data.submitted.number)}` })
    },
  },
})
