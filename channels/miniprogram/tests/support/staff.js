// The back office's side of a test: a reviewer of the application's department, logged in to the 12333
// console by the pytest wrapper (password + one-time code), sends the one-time notice through the console's own
// form (CSRF token included), as staff do — the mini-program then has something to answer.
const { exchange, gatewayUrl } = require('./gateway')

function staffCookie() {
  const cookie = process.env.SHEBAO_STAFF_COOKIE
  if (!cookie) throw new Error('SHEBAO_STAFF_COOKIE is not set: run this suite through tests/miniprogram/test_node_suite.py')
  return cookie
}

let cookie = null

function remember(res) {
  // The console's session cookie may be re-issued on any answer; keep the newest.
  for (const line of [].concat(res.headers['set-cookie'] || [])) {
    const pair = line.split(';')[0]
    if (pair.startsWith('shebao_session=')) cookie = pair
  }
}

async function consoleRequest(path, options = {}) {
  cookie = cookie || staffCookie()
  const res = await exchange(`${gatewayUrl()}${path}`, {
    ...options,
    headers: { ...(options.headers || {}), Cookie: cookie },
  })
  remember(res)
  return res
}

/** The reviewer sends the one-time notice listing `problems` (GB/T 31621 6.2.1.3). */
async function requestSupplement(number, problems) {
  const page = await consoleRequest(`/hotline/applications/${encodeURIComponent(number)}`)
  if (page.status !== 200) throw new Error(`the console answered ${page.status} for application ${number}`)
  const match = page.body.toString('utf8').match(/name="csrf_token" (?:type="hidden" )?value="([^"]+)"/)
  if (!match) throw new Error('no CSRF token on the console page')
  const form = new URLSearchParams({ csrf_token: match[1], problems: problems.join('\n') })
  const sent = await consoleRequest(`/hotline/applications/${encodeURIComponent(number)}/supplement`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  })
  if (sent.status !== 302) throw new Error(`the one-time notice was refused (${sent.status})`)
}

module.exports = { requestSupplement }
