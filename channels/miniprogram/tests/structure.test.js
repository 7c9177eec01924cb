// Static rules the WeChat DevTools would not enforce for us: every page registered and complete, at most
// three levels (LD/T 01 6.1.3), large text, and an accessible name on everything a person can operate.
const fs = require('fs')
const path = require('path')
const { ROOT } = require('./support/pages')

const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
const LEVELS = {
  'pages/index/index': 1,
  'pages/mine/index': 1, // the "我的" tab
  'pages/login/login': 1,
  'pages/guides/index': 2,
  'pages/halls/index': 2,
  'pages/help/index': 2,
  'pages/verify/index': 2,
  'pages/consult/index': 2,
  'pages/guides/detail': 3,
  'pages/inbox/index': 2,
  'pages/appointments/index': 2,
  'pages/progress/index': 2,
  'pages/certificates/index': 2,
  'pages/inbox/detail': 3,
  'pages/appointments/book': 3,
  'pages/progress/detail': 3,
  'pages/account/logins': 2,
  'pages/account/notifications': 2,
  'pages/account/credentials': 2,
  'pages/account/proxies': 2,
  'pages/apply/index': 2,
  'pages/apply/form': 3,
  'pages/rights/index': 2,
  'pages/card/index': 2,
  'pages/account/stepup': 3, // the e-SSC check an item's page sends the person to, and back
  'pages/progress/supplement': 3, // answering the notice: a step of the application's page, as the e-SSC check
  'pages/consult/chat': 3, // 转人工, from 常见问题 and 咨询留言
}

function read(rel) {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8')
}

test('every page in app.json has its four files and a known level of at most 3', () => {
  expect(app.pages[0]).toBe('pages/index/index')
  for (const page of app.pages) {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) {
      expect(fs.existsSync(path.join(ROOT, `${page}.${ext}`))).toBe(true)
    }
    expect(LEVELS[page]).toBeLessThanOrEqual(3)
    expect(JSON.parse(read(`${page}.json`)).navigationBarTitleText).toMatch(/[\u4e00-\u9fa5]/)
  }
  expect(Object.keys(LEVELS).sort()).toEqual([...app.pages].sort())
})

test('navigation goes only to registered pages, one level down from a section', () => {
  for (const page of app.pages) {
    const source = read(`${page}.js`) + read(`${page}.wxml`)
    for (const match of source.matchAll(/url: ?[`'"]\/(pages\/[a-z]+\/[a-z]+)/g)) {
      expect(app.pages).toContain(match[1])
      if (LEVELS[page] === 2 && match[1] !== 'pages/login/login') expect(LEVELS[match[1]]).toBe(3)
    }
  }
})

test('text is large: no font under 32rpx, sizes in rpx', () => {
  const sheets = ['app.wxss', ...app.pages.map((p) => `${p}.wxss`)]
  const small = []
  for (const sheet of sheets) {
    for (const match of read(sheet).matchAll(/font-size:\s*([\d.]+)(rpx|px|em|rem)/g)) {
      if (match[2] !== 'rpx' || Number(match[1]) < 32) small.push(`${sheet}: ${match[0]}`)
    }
  }
  expect(small).toEqual([])
  expect(read('app.wxss')).toMatch(/page \{[^}]*font-size: 3[2-9]rpx/)
})

test('everything operable has an accessible name', () => {
  const unnamed = []
  let count = 0
  for (const page of app.pages) {
    const wxml = read(`${page}.wxml`)
    const operable = wxml.match(/<(button|input|picker|[a-z-]+[^>]*\bbind(tap|change|input)=)[^>]*>/g) || []
    count += operable.length
    for (const tag of operable) if (!/aria-label="[^"]+"/.test(tag)) unnamed.push(`${page}: ${tag}`)
  }
  expect(count).toBeGreaterThan(15)
  expect(unnamed).toEqual([])
})

test('two tabs, 首页 and 我的, and the privacy check WeChat requires', () => {
  expect(app.tabBar.list.map((t) => [t.pagePath, t.text])).toEqual([
    ['pages/index/index', '首页'],
    ['pages/mine/index', '我的'],
  ])
  expect(app.__usePrivacyCheck__).toBe(true)
  const popup = read('components/privacy-popup/index.wxml')
  expect(popup).toMatch(/open-type="agreePrivacyAuthorization"[^>]*bindagreeprivacyauthorization="onAgree"/)
  expect(read('components/privacy-popup/index.js')).toContain('wx.openPrivacyContract')
  expect(read('utils/privacy.js')).toContain('wx.onNeedPrivacyAuthorization')
})

test('elder mode: every page can switch, and its type is at least 18px (36rpx at 750rpx = 375px)', () => {
  for (const page of app.pages) {
    expect(read(`${page}.wxml`)).toMatch(/^<view class="container \{\{elder \? 'elder' : ''\}\}"/)
    expect(read(`${page}.js`)).toContain('elder.sync(this)')
  }
  const rules = [...read('app.wxss').matchAll(/^\.elder[^{]*\{([^}]*)\}/gm)].map((m) => m[1])
  const sizes = rules.flatMap((r) => [...r.matchAll(/font-size:\s*(\d+)rpx/g)].map((m) => Number(m[1])))
  expect(sizes.length).toBeGreaterThan(5)
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(36)
  expect(read('app.wxss')).toMatch(/^\.elder \{[^}]*font-size: 40rpx/m)
})

test('the server address follows envVersion, not an edit', () => {
  const config = require('../utils/config')
  expect(config.urlFor('develop')).toBe('http://127.0.0.1:8000')
  expect(config.urlFor('trial')).toMatch(/^https:\/\//)
  expect(config.urlFor('release')).toMatch(/^https:\/\//)
  expect(config.urlFor('trial')).not.toBe(config.urlFor('release'))
  expect(config.urlFor('something-else')).toBe(config.urlFor('release'))
  expect(config.envVersion()).toBe('develop') // what wx.getAccountInfoSync() says in these tests
})
