// What the browser tests (workbench.mjs, wechat.mjs) share: the stdio talk
// with the Go test (ui_test.go), headless chromium, pages that record page
// errors, dialogs and what the strict CSP blocked, screenshots, the login
// form and the report of what the pages showed when a test fails.
//
// env: KEFU_BASE, KEFU_CHROMIUM (default /usr/bin/chromium), KEFU_SHOTS
// (screenshot folder, optional).
import { chromium } from 'playwright-core'
import { open } from './chromium.mjs'
import { createInterface } from 'node:readline'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const base = process.env.KEFU_BASE
export const shots = process.env.KEFU_SHOTS
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

export const t0 = Date.now()
// KEFU_SLOW (set by the Go test kit under make test, where four browser
// tests share two cores with other packages) stretches every wait: a wait
// is for the page to get somewhere, never a speed check.
export const slow = Number(process.env.KEFU_SLOW) || 1
// step tells the Go side to act ("@@ <name> [args]" on stdout).
export function step(name) {
  console.error('step', name, Date.now() - t0)
  console.log('@@ ' + name)
}
// recv reads the one JSON line the Go side sends back once it has acted.
export async function recv() {
  const { value, done } = await lines.next()
  if (done) throw new Error('the Go test closed stdin')
  return JSON.parse(value)
}
export function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}

export const browser = await open(chromium, slow)
export const dialogs = []
export const pageErrors = []
export const pages = []

// newPage opens a page in a fresh context (its own session) named for the
// reports; close the context with page.context().close(). The browser
// runs in the tenants' time zone (Asia/Shanghai, a new tenant's; KEFU_TZ
// sets another): a page's "today" is then the tenant's, also in the hours
// when Shanghai's date is ahead of the machine's UTC one.
export async function newPage(name) {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1360, height: 820 },
    timezoneId: process.env.KEFU_TZ || 'Asia/Shanghai' })
  const page = await ctx.newPage()
  page.setDefaultTimeout(15000 * slow)
  page.on('dialog', (d) => {
    dialogs.push(name + ': ' + d.message())
    d.dismiss().catch(() => {})
  })
  page.on('pageerror', (e) => pageErrors.push(name + ': ' + String(e)))
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    console.error(name + ' console:', m.text())
    // the strict CSP must not block anything the app does
    if (/Content.Security.Policy/i.test(m.text())) pageErrors.push(name + ': ' + m.text())
  })
  pages.push(page)
  return page
}

// downloaded is a download's bytes (read through playwright: a browser the
// script connected to keeps its files where the script cannot see them).
export async function downloaded(dl) {
  const chunks = []
  for await (const c of await dl.createReadStream()) chunks.push(c)
  return Buffer.concat(chunks)
}

export async function shot(page, name) {
  if (!shots) return
  mkdirSync(shots, { recursive: true })
  await page.screenshot({ path: join(shots, name + '.png') })
}

export async function login(page, path, email, password) {
  await page.goto(base + path)
  await page.getByRole('button', { name: '登录' }).waitFor()
  await page.fill('input[name=email]', email)
  await page.fill('input[name=password]', password)
  await page.getByRole('button', { name: '登录' }).click()
}

// setStatus switches an agent's status and waits until the switch shows it.
export async function setStatus(page, label, cls) {
  await page.getByRole('button', { name: label }).click()
  await page.locator(`.status-switch .st.${cls}.active`).waitFor()
}

// run runs a test body: on failure it says what each page showed (its error
// lines and a screenshot zz-failure-<prefix><i>.png) and rethrows; the
// browser is closed either way.
export async function run(prefix, body) {
  try {
    await body()
  } catch (e) {
    for (const [i, page] of pages.entries()) {
      console.error(`page ${i} errors shown:`, await page.locator('.error').allTextContents().catch(() => []))
      if (shots) await page.screenshot({ path: join(shots, `zz-failure-${prefix}${i}.png`) }).catch(() => {})
    }
    throw e
  } finally {
    await browser.close()
  }
}

// axe runs axe-core on the page (evaluated through the driver, so the
// strict CSP does not stop it) and returns its serious and critical
// violations as "id: target …" lines.
const axeSource = readFileSync(new URL('../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8')
export async function axe(page, context = 'document') {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource)
  const vs = await page.evaluate(async (ctx) => {
    const r = await window.axe.run(ctx === 'document' ? document : document.querySelector(ctx), { resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 4) }))
  }, context)
  return vs.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.join(' | ')}`)
}
