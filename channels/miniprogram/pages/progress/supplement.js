// Answering a one-time notice (一次性告知, GB/T 31621 6.2.1.3) without applying again: the notice's problems
// are shown together, each material the item takes can be sent again (wx.chooseMessageFile from a chat or
// wx.chooseMedia from the album/camera, one file per wx.uploadFile), and a note may explain. Each file goes to the
// gateway at once as a part of the answer (`final` false: its content is checked now, the application still
// waits); "提交补正" sends the final request, which completes the answer and tells the staff — once.
const api = require('../../utils/api')
const elder = require('../../utils/elder')
const guard = require('../../utils/guard')

const EXTENSIONS = ['pdf', 'jpg', 'jpeg', 'png']
const NOTE_MAX = 300

function materialsOf(names, sent) {
  return (names || []).map((name) => ({ name, files: sent.filter((s) => s.material === name) }))
}

Component({
  data: {
    number: '',
    app: null,
    waiting: false,
    materials: [],
    sent: [],
    note: '',
    noteMax: NOTE_MAX,
    errors: [],
    done: null,
    elder: false,
  },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad(query) {
      this.setData({ number: query.number || '' })
      return api
        .request({ path: `/api/v1/applications/${encodeURIComponent(this.data.number)}` })
        .then((app) => this.show(app))
        .catch(() => null)
    },
    show(app) {
      this.setData({
        app,
        waiting: app.status === 'supplement_requested',
        materials: materialsOf(app.supplement_materials, this.data.sent),
      })
    },
    uploadFrom(chooser, material) {
      return new Promise((resolve) => {
        chooser({ success: resolve, fail: () => resolve(null) })
      }).then((picked) => {
        if (!picked) return null
        const file = picked.tempFiles[0]
        const filePath = file.tempFilePath || file.path
        return api
          .upload({
            path: `/api/v1/applications/${encodeURIComponent(this.data.number)}/supplement`,
            filePath,
            formData: { material, final: 'false' },
            quiet: true,
          })
          .then((app) => {
            const filename = file.name || filePath.split('/').pop()
            // A new file of the same material replaces the one sent before (as at the gateway).
            const sent = [...this.data.sent.filter((s) => s.material !== material), { material, filename }]
            this.setData({ sent, errors: [] })
            this.show(app)
            wx.showToast({ title: '已上传', icon: 'success' })
          })
          .catch((err) => this.setData({ errors: [err.message] }))
      })
    },
    onChooseFile: guard.once(function onChooseFile(e) {
      return this.uploadFrom(
        (cb) => wx.chooseMessageFile({ count: 1, type: 'file', extension: EXTENSIONS, ...cb }),
        e.currentTarget.dataset.material,
      )
    }),
    onChoosePhoto: guard.once(function onChoosePhoto(e) {
      return this.uploadFrom(
        (cb) => wx.chooseMedia({ count: 1, mediaType: ['image'], sourceType: ['album', 'camera'], ...cb }),
        e.currentTarget.dataset.material,
      )
    }),
    onNote(e) {
      this.setData({ note: e.detail.value })
    },
    // The final request: the answer is complete; the gateway says what is still missing (nothing sent, say).
    onSubmit: guard.once(function onSubmit() {
      return api
        .request({
          path: `/api/v1/applications/${encodeURIComponent(this.data.number)}/supplement`,
          method: 'POST',
          data: { note: this.data.note.trim(), final: 'true' },
          form: true,
          quiet: true,
        })
        .then((app) => {
          this.setData({ done: app, waiting: false, errors: [] })
          wx.showToast({ title: '补正已提交', icon: 'success' })
        })
        .catch((err) => this.setData({ errors: [err.message] }))
    }),
    onBack() {
      wx.navigateBack()
    },
  },
})
