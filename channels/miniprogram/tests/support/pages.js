// Open mini-program pages the way the WeChat client does: load the page (built with the Component
// constructor, as WeChat allows), attach it, and call its page lifecycle with the query.
const path = require('path')
const simulate = require('miniprogram-simulate')
const { settle, state } = require('./wx')

const ROOT = path.resolve(__dirname, '../..')
// A page's script runs once per test file (require caches it), so each page is loaded once and rendered anew.
const loaded = {}
// WeChat's own wxml compiler (wcc) compiles the pages app.json lists, as the DevTools do; naming them
// spares it a walk through node_modules.
const PAGES = require(path.join(ROOT, 'app.json')).pages
const COMPONENTS = ['components/privacy-popup/index']
const OPTIONS = {
  rootPath: ROOT,
  compilerOptions: { wxmlList: [...PAGES, ...COMPONENTS].map((p) => `${p}.wxml`), wxsList: [] },
}

async function openPage(route, query = {}) {
  if (!loaded[route]) loaded[route] = simulate.load(path.join(ROOT, route), OPTIONS)
  const id = loaded[route]
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))
  const methods = page.instance
  if (typeof methods.onLoad === 'function') methods.onLoad(query)
  if (typeof methods.onShow === 'function') methods.onShow()
  await settle()
  return page
}

/** Tap an element by selector and wait for what the tap set off. */
async function tap(page, selector) {
  const el = page.querySelector(selector)
  if (!el) throw new Error(`nothing matches ${selector}`)
  el.dispatchEvent('tap')
  await settle()
}

/** Type into an input (fires its bindinput with detail.value, as WeChat does). */
async function type(page, selector, value) {
  const el = page.querySelector(selector)
  if (!el) throw new Error(`nothing matches ${selector}`)
  el.dispatchEvent('input', { detail: { value } })
  await settle()
}

/** Tap WeChat's privacy agree button (open-type="agreePrivacyAuthorization"): WeChat records the agreement
 * and fires the button's agreeprivacyauthorization event. */
async function agreePrivacy(page) {
  const popup = page.querySelector('#privacy-popup')
  if (!popup) throw new Error('the page has no privacy popup')
  const button = popup.querySelector('#privacy-agree')
  if (!button) throw new Error('the privacy popup is not showing')
  state.privacyAgreed = true
  button.dispatchEvent('agreeprivacyauthorization')
  await settle()
}

function text(page, selector) {
  const el = page.querySelector(selector)
  return el ? el.dom.textContent.trim() : null
}

function attr(page, selector, name) {
  const el = page.querySelector(selector)
  return el ? el.dom.getAttribute(name) : null
}

/** The route and query of the last navigation the page asked for. */
function lastNavigation(kind) {
  const nav = [...state.navigations].reverse().find((n) => !kind || n.kind === kind)
  if (!nav) return null
  const [route, qs] = (nav.url || '').split('?')
  return { kind: nav.kind, route: route.replace(/^\//, ''), query: Object.fromEntries(new URLSearchParams(qs || '')) }
}

module.exports = { openPage, tap, type, text, attr, lastNavigation, agreePrivacy, settle, ROOT }
