// The one way pages talk to the gateway's JSON API (/api/v1/): bearer access token, one automatic
// refresh with the rotating refresh token on a 401, and the error shape {"error": {"code", "message"}}
// shown to the person as a Chinese toast.
const config = require('./config')

const TOKENS_KEY = 'shebao_tokens'
const CHANNEL = 'miniprogram'
const NETWORK_MESSAGE = '网络连接失败，请检查网络后重试。'
const SERVER_MESSAGE = '服务暂时不可用，请稍后再试或拨打 12333 咨询。'
const LOGIN_PAGE = '/pages/login/login'

class ApiError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

function tokens() {
  return wx.getStorageSync(TOKENS_KEY) || null
}

function saveTokens(body) {
  wx.setStorageSync(TOKENS_KEY, {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    level: body.assurance_level,
  })
}

function clearTokens() {
  wx.removeStorageSync(TOKENS_KEY)
}

function loggedIn() {
  const t = tokens()
  return Boolean(t && t.refreshToken)
}

function fullUrl(path) {
  return config.baseUrl.replace(/\/+$/, '') + path
}

function query(params) {
  const parts = Object.keys(params || {})
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function headers(auth) {
  const header = { 'X-Shebao-Channel': CHANNEL }
  const t = tokens()
  if (auth && t && t.accessToken) header.Authorization = `Bearer ${t.accessToken}`
  return header
}

function errorOf(res) {
  const body = res.data
  const error = body && typeof body === 'object' ? body.error : null
  const err = error && error.message
    ? new ApiError(res.statusCode, error.code, error.message)
    : new ApiError(res.statusCode, `http_${res.statusCode}`, SERVER_MESSAGE)
  // Some answers are not errors to the person (the verify API's "not found" carries its own message).
  err.body = body && typeof body === 'object' ? body : null
  return err
}

function send(options) {
  return new Promise((resolve, reject) => {
    wx.request({
      ...options,
      dataType: 'json',
      success: resolve,
      fail: () => reject(new ApiError(0, 'network', NETWORK_MESSAGE)),
    })
  })
}

let refreshing = null

// One refresh at a time: the refresh token is single-use, and presenting a spent one again revokes the
// whole login (the gateway takes that as theft), so parallel 401s must share one rotation.
function refresh() {
  if (refreshing) return refreshing
  const current = tokens()
  if (!current || !current.refreshToken) {
    return Promise.reject(new ApiError(401, 'login_required', '请先登录。'))
  }
  refreshing = send({
    url: fullUrl('/api/v1/auth/token/refresh'),
    method: 'POST',
    data: { refresh_token: current.refreshToken },
    header: headers(false),
  }).then(
    (res) => {
      refreshing = null
      if (res.statusCode === 200 && res.data && res.data.access_token) {
        saveTokens(res.data)
        return
      }
      clearTokens()
      throw errorOf(res)
    },
    (err) => {
      refreshing = null
      throw err
    },
  )
  return refreshing
}

function showError(err) {
  wx.showToast({ title: err.message || SERVER_MESSAGE, icon: 'none', duration: 3000 })
}

function toLogin() {
  clearTokens()
  wx.reLaunch({ url: LOGIN_PAGE })
}

// With a token: a 401 means the 10-minute access token ran out (or was revoked); rotate and retry once.
// A 401 that comes back after another request has already rotated the tokens (its refresh finished while
// this one was on the way) retries with the new access token instead of rotating again.
function withRefresh(attempt, auth) {
  const sentWith = auth ? (tokens() || {}).accessToken : null
  return attempt().then((res) => {
    if (res.statusCode !== 401 || !auth || !loggedIn()) return res
    const current = (tokens() || {}).accessToken
    if (current && current !== sentWith) return attempt()
    return refresh().then(attempt)
  })
}

function fail(err, auth, quiet) {
  if (err.status === 401 && auth) toLogin()
  if (!quiet) showError(err)
  throw err
}

/**
 * request({path, method, data, params, auth = true, quiet = false, header, form = false}) → Promise of the JSON
 * body; ``header`` adds request headers (the live chat's X-Chat-Token).
 * Rejects with an ApiError (status, code, Chinese message) after showing the message as a toast.
 * form: send data as application/x-www-form-urlencoded, for an operation that takes form fields (a
 * supplement's note without a file); encoded here, so the body is the same whatever the client does with objects.
 */
function request({ path, method = 'GET', data, params, auth = true, quiet = false, header = {}, form = false }) {
  const body = form ? query(data).replace(/^\?/, '') : data
  const formHeader = form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}
  const attempt = () =>
    send({
      url: fullUrl(path + query(params)),
      method,
      data: body,
      header: { ...headers(auth), ...formHeader, ...header },
    })
  return withRefresh(attempt, auth)
    .then((res) => {
      if (res.statusCode >= 200 && res.statusCode < 300) return res.data
      throw errorOf(res)
    })
    .catch((err) => fail(err, auth, quiet))
}

function downloadError(res) {
  // A refused download still arrives as a file: the gateway's JSON error, with the message for the person.
  try {
    const text = wx.getFileSystemManager().readFileSync(res.tempFilePath, 'utf8')
    const error = JSON.parse(text).error
    if (error && error.message) return new ApiError(res.statusCode, error.code, error.message)
  } catch (e) {
    // not JSON: fall through to the general message
  }
  return new ApiError(res.statusCode, 'download_failed', '证明下载失败，请稍后再试。')
}

/** Download a PDF with the bearer token and open it in WeChat's document viewer. */
function openPdf(path, params) {
  const attempt = () =>
    new Promise((resolve, reject) => {
      wx.downloadFile({
        url: fullUrl(path + query(params)),
        header: headers(true),
        success: resolve,
        fail: () => reject(new ApiError(0, 'network', NETWORK_MESSAGE)),
      })
    })
  return withRefresh(attempt, true)
    .then((res) => {
      if (res.statusCode !== 200) throw downloadError(res)
      return new Promise((resolve, reject) => {
        wx.openDocument({
          filePath: res.tempFilePath,
          fileType: 'pdf',
          showMenu: true, // lets the person forward or save the sealed PDF
          success: () => resolve(res.tempFilePath),
          fail: () => reject(new ApiError(0, 'open_failed', '无法打开证明文件，请稍后再试。')),
        })
      })
    })
    .catch((err) => fail(err, true, false))
}

function uploadAnswer(res) {
  let body = res.data
  try {
    body = typeof body === 'string' ? JSON.parse(body) : body
  } catch (e) {
    body = null
  }
  return { statusCode: res.statusCode, data: body }
}

/**
 * Upload one file as multipart/form-data (wx.uploadFile), as the apply and supplement operations take it:
 * upload({path, filePath, name = 'file', formData}) → Promise of the JSON body; errors as request() does.
 */
function upload({ path, filePath, name = 'file', formData = {}, quiet = false }) {
  const attempt = () =>
    new Promise((resolve, reject) => {
      wx.uploadFile({
        url: fullUrl(path),
        filePath,
        name,
        formData,
        header: headers(true),
        success: (res) => resolve(uploadAnswer(res)),
        fail: () => reject(new ApiError(0, 'network', NETWORK_MESSAGE)),
      })
    })
  return withRefresh(attempt, true)
    .then((res) => {
      if (res.statusCode >= 200 && res.statusCode < 300) return res.data
      throw errorOf(res)
    })
    .catch((err) => fail(err, true, quiet))
}

module.exports = {
  ApiError,
  request,
  upload,
  openPdf,
  saveTokens,
  clearTokens,
  loggedIn,
  tokens,
  refresh,
  TOKENS_KEY,
}
