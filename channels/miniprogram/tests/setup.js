// Runs before each test file: the gateway-backed `wx` (miniprogram-simulate keeps ours over its own
// stubs), and the mini-program's config pointed at the gateway the pytest wrapper started.
const { wx } = require('./support/wx')

global.wx = wx
if (process.env.SHEBAO_GATEWAY_URL) require('../utils/config').baseUrl = process.env.SHEBAO_GATEWAY_URL
