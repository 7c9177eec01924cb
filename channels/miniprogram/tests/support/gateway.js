// The real gateway and its sandboxes, named by the pytest wrapper (tests/miniprogram/test_node_suite.py).
const http = require('http')
const https = require('https')

function env(name) {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: run this suite through tests/miniprogram/test_node_suite.py`)
  return value.replace(/\/+$/, '')
}

/** One HTTP exchange: resolves {status, headers, body (Buffer)}. */
function exchange(url, { method = 'GET', headers = {}, body } = {}) {
  const target = new URL(url)
  const lib = target.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = lib.request(target, { method, headers, timeout: 20000 }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('timeout', () => req.destroy(new Error(`timed out: ${method} ${url}`)))
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

async function json(url, options = {}) {
  const body = options.data === undefined ? undefined : JSON.stringify(options.data)
  const headers = { ...(options.headers || {}) }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await exchange(url, { method: options.method || 'GET', headers, body })
  return { status: res.status, data: JSON.parse(res.body.toString('utf8') || 'null') }
}

module.exports = {
  gatewayUrl: () => env('SHEBAO_GATEWAY_URL'),
  sandboxUrl: () => env('SHEBAO_SANDBOX_URL'),
  exchange,
  json,
}
