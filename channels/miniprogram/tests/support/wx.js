// The parts of the `wx` API the mini-program uses, done for real against the running gateway:
// wx.request and wx.downloadFile make the HTTP calls, wx.login gets a one-time code from the WeChat
// sandbox (as the WeChat client would from WeChat's servers), wx.openDocument opens the downloaded file
// and checks it is a PDF. Navigation, toasts and modals are recorded for the tests to read.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { exchange, sandboxUrl } = require('./gateway')

const state = {
  openid: null, // the WeChat user on this "phone"
  storage: new Map(),
  pending: 0,
  requests: [],
  toasts: [],
  navigations: [],
  opened: [],
  modalAnswer: true,
  modals: [],
  envVersion: 'develop',
  privacyAgreed: false, // whether this WeChat user agreed to the mini-program's privacy guide
  privacyListener: null,
  subscribeAnswer: 'accept', // what the person taps in WeChat's subscribe dialog
  subscribeRequests: [],
  scanResult: null,
  chosenFile: null, // the file wx.chooseMessageFile / wx.chooseMedia hand back
  calls: [], // phone calls, map openings, clipboard
}

function track(promise) {
  state.pending += 1
  return promise.finally(() => {
    state.pending -= 1
  })
}

function encodeQuery(data) {
  return Object.keys(data)
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(data[k])}`)
    .join('&')
}

function request(options) {
  const method = (options.method || 'GET').toUpperCase()
  let url = options.url
  let body
  const headers = { ...(options.header || {}) }
  // As WeChat does: GET data goes into the query string, other methods send it as JSON.
  if (options.data !== undefined && method === 'GET') {
    url += (url.includes('?') ? '&' : '?') + encodeQuery(options.data)
  } else if (options.data !== undefined) {
    body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data)
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json'
    }
  }
  state.requests.push({ method, url, headers, body })
  const task = exchange(url, { method, headers, body }).then(
    (res) => {
      const text = res.body.toString('utf8')
      let data = text
      if (options.dataType !== 'text') {
        try {
          data = JSON.parse(text)
        } catch (e) {
          data = text
        }
      }
      const result = { statusCode: res.status, data, header: res.headers }
      if (options.success) options.success(result)
      if (options.complete) options.complete(result)
    },
    (err) => {
      const result = { errMsg: `request:fail ${err.message}` }
      if (options.fail) options.fail(result)
      if (options.complete) options.complete(result)
    },
  )
  track(task)
  return { abort() {} }
}

function login(options) {
  const body = JSON.stringify(state.openid ? { openid: state.openid } : {})
  const task = exchange(`${sandboxUrl()}/wechat/sandbox/codes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  }).then(
    (res) => {
      const data = JSON.parse(res.body.toString('utf8'))
      state.openid = data.openid
      const result = { code: data.code, errMsg: 'login:ok' }
      if (options.success) options.success(result)
      if (options.complete) options.complete(result)
    },
    (err) => options.fail && options.fail({ errMsg: `login:fail ${err.message}` }),
  )
  track(task)
}

let downloads = 0

function downloadFile(options) {
  const task = exchange(options.url, { method: 'GET', headers: { ...(options.header || {}) } }).then(
    (res) => {
      downloads += 1
      const type = String(res.headers['content-type'] || '')
      const ext = type.includes('pdf') ? '.pdf' : type.includes('json') ? '.json' : ''
      const tempFilePath = path.join(os.tmpdir(), `wxfile-${process.pid}-${downloads}${ext}`)
      fs.writeFileSync(tempFilePath, res.body)
      const result = { statusCode: res.status, tempFilePath, errMsg: 'downloadFile:ok' }
      if (options.success) options.success(result)
      if (options.complete) options.complete(result)
    },
    (err) => options.fail && options.fail({ errMsg: `downloadFile:fail ${err.message}` }),
  )
  track(task)
  return { abort() {}, onProgressUpdate() {} }
}

let uploads = 0

// wx.uploadFile: the file and formData as multipart/form-data, as the WeChat client sends them.
function uploadFile(options) {
  uploads += 1
  const boundary = `----wxupload${process.pid}x${uploads}`
  const parts = []
  for (const [key, value] of Object.entries(options.formData || {})) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`))
  }
  const filename = path.basename(options.filePath)
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${options.name}"; filename="${filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
  )
  parts.push(fs.readFileSync(options.filePath))
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`))
  const headers = { ...(options.header || {}), 'Content-Type': `multipart/form-data; boundary=${boundary}` }
  const url = options.url
  state.requests.push({ method: 'POST', url, headers, body: '(multipart)' })
  const task = exchange(url, { method: 'POST', headers, body: Buffer.concat(parts) }).then(
    (res) => {
      const result = { statusCode: res.status, data: res.body.toString('utf8'), errMsg: 'uploadFile:ok' }
      if (options.success) options.success(result)
      if (options.complete) options.complete(result)
    },
    (err) => options.fail && options.fail({ errMsg: `uploadFile:fail ${err.message}` }),
  )
  track(task)
  return { abort() {}, onProgressUpdate() {} }
}

// The file the person picks in WeChat's chat-file chooser or the album/camera (set by a test).
function chosen(kind) {
  return (options = {}) => {
    Promise.resolve().then(() => {
      const file = state.chosenFile
      if (!file) {
        if (options.fail) options.fail({ errMsg: `${kind}:fail cancel` })
        return
      }
      state.calls.push({ kind, ...options })
      const size = fs.statSync(file).size
      if (kind === 'chooseMedia') options.success({ tempFiles: [{ tempFilePath: file, size, fileType: 'image' }] })
      else options.success({ tempFiles: [{ path: file, size, name: path.basename(file), type: 'file' }] })
    })
  }
}

function openDocument(options) {
  // WeChat's viewer opens only real files of the named type; a JSON error body saved as .pdf would fail.
  let ok = false
  try {
    const head = fs.readFileSync(options.filePath).subarray(0, 5).toString('latin1')
    ok = options.fileType === 'pdf' && head === '%PDF-'
  } catch (e) {
    ok = false
  }
  Promise.resolve().then(() => {
    if (ok) {
      state.opened.push({ filePath: options.filePath, fileType: options.fileType, showMenu: options.showMenu })
      if (options.success) options.success({ errMsg: 'openDocument:ok' })
    } else if (options.fail) {
      options.fail({ errMsg: 'openDocument:fail filetype not supported' })
    }
  })
}

function callback(name) {
  return (options = {}) => {
    state.navigations.push({ kind: name, url: options.url })
    Promise.resolve().then(() => options.success && options.success({ errMsg: `${name}:ok` }))
  }
}

function requestSubscribeMessage(options) {
  state.subscribeRequests.push({ tmplIds: [...options.tmplIds] })
  const answer = { errMsg: 'requestSubscribeMessage:ok' }
  for (const id of options.tmplIds) answer[id] = state.subscribeAnswer
  const accepted = options.tmplIds.filter(() => state.subscribeAnswer === 'accept')
  // As the WeChat client does: WeChat's servers learn of each "允许" for this user (here, the sandbox).
  const task = Promise.all(
    accepted.map((id) =>
      exchange(`${sandboxUrl()}/wechat/sandbox/subscriptions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ openid: state.openid, template_id: id, count: 1 }),
      }),
    ),
  ).then(() => options.success && options.success(answer))
  track(task)
}

function called(kind) {
  return (options = {}) => {
    state.calls.push({ kind, ...options })
    Promise.resolve().then(() => options.success && options.success({ errMsg: `${kind}:ok` }))
  }
}

const wx = {
  request,
  requestSubscribeMessage,
  getAccountInfoSync: () => ({ miniProgram: { appId: 'wxsandboxminiapp', envVersion: state.envVersion } }),
  getPrivacySetting(options) {
    Promise.resolve().then(() =>
      options.success({ needAuthorization: !state.privacyAgreed, privacyContractName: '《社保网上经办小程序隐私保护指引》' }),
    )
  },
  onNeedPrivacyAuthorization(listener) {
    state.privacyListener = listener
  },
  openPrivacyContract: called('openPrivacyContract'),
  scanCode(options) {
    Promise.resolve().then(() =>
      state.scanResult ? options.success({ result: state.scanResult, scanType: 'QR_CODE' }) : options.fail({ errMsg: 'scanCode:fail cancel' }),
    )
  },
  openLocation: called('openLocation'),
  makePhoneCall: called('makePhoneCall'),
  setClipboardData: called('setClipboardData'),
  login,
  downloadFile,
  uploadFile,
  chooseMessageFile: chosen('chooseMessageFile'),
  chooseMedia: chosen('chooseMedia'),
  openDocument,
  getFileSystemManager() {
    return { readFileSync: (p, encoding) => fs.readFileSync(p, encoding) }
  },
  getStorageSync: (key) => (state.storage.has(key) ? state.storage.get(key) : ''),
  setStorageSync: (key, value) => state.storage.set(key, JSON.parse(JSON.stringify(value))),
  removeStorageSync: (key) => state.storage.delete(key),
  showToast: (options) => state.toasts.push(options),
  showLoading: () => {},
  hideLoading: () => {},
  stopPullDownRefresh: () => {},
  showModal(options) {
    state.modals.push(options)
    Promise.resolve().then(() => options.success && options.success({ confirm: state.modalAnswer, cancel: !state.modalAnswer }))
  },
  navigateTo: callback('navigateTo'),
  redirectTo: callback('redirectTo'),
  reLaunch: callback('reLaunch'),
  switchTab: callback('switchTab'),
  navigateBack: callback('navigateBack'),
}

/** Resolves once every request, login and download started so far (and what they started) has finished. */
async function settle() {
  for (let quiet = 0; quiet < 3; ) {
    await new Promise((r) => setTimeout(r, 5))
    quiet = state.pending === 0 ? quiet + 1 : 0
  }
}

function reset() {
  state.storage.clear()
  state.requests.length = 0
  state.toasts.length = 0
  state.navigations.length = 0
  state.opened.length = 0
  state.modals.length = 0
  state.modalAnswer = true
  state.privacyAgreed = false
  state.subscribeAnswer = 'accept'
  state.subscribeRequests.length = 0
  state.scanResult = null
  state.chosenFile = null
  state.calls.length = 0
}

module.exports = { wx, state, settle, reset }
