// Where the gateway is, chosen by the version of the mini-program that is running
// (wx.getAccountInfoSync().miniProgram.envVersion), never edited by hand before a release:
//   develop — WeChat DevTools and "预览": the gateway of `make run` on this computer
//             (tick "不校验合法域名" in DevTools; for a phone, put the computer's LAN address here);
//   trial   — the 体验版 testers use: the agency's test gateway;
//   release — the published mini-program: the agency's HTTPS domain, also listed as a request and
//             downloadFile domain in the mini-program's admin console.
// The trial and release addresses below are placeholders of the reserved example.org domain: set them to the
// agency's own domains when the mini-program is registered.
const URLS = {
  develop: 'http://127.0.0.1:8000',
  trial: 'https://trial.shebao.example.org',
  release: 'https://shebao.example.org',
}

function envVersion() {
  try {
    const info = wx.getAccountInfoSync()
    const version = info && info.miniProgram && info.miniProgram.envVersion
    return URLS[version] ? version : 'release'
  } catch (e) {
    return 'release' // an old base library without getAccountInfoSync: the safe choice is production
  }
}

function urlFor(version) {
  return URLS[version] || URLS.release
}

module.exports = {
  URLS,
  envVersion,
  urlFor,
  baseUrl: urlFor(envVersion()),
}
