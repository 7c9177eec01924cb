// Static rules the WeChat DevTools would not enforce for us: every page registered and complete, at most
// three levels (LD/T 01 6.1.3), large text, and an accessible name on everything a person can operate.
const fs = require('fs')
const path = require('path')
const { ROOT } = require('./support/pages')

const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
const LEVELS = {
  'pages/index/index': 1,
  'pages/login/login': 1,
  'pages/inbox/index': 2,
  'pages/appointments/index': 2,
  'pages/progress/index': 2,
  'pages/certificates/index': 2,
  'pages/inbox/detail': 3,
  'pages/appointments/book': 3,
  'pages/progress/detail': 3,
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
