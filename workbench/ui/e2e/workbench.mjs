// Browser test of the agent workbench, driven by ui_test.go (repo root)
// against a running hub. It talks to the Go test over stdio: it prints
// "@@ <step>" when the Go side should act (post a customer message through
// the API channel) and waits for the result to appear in the page.
//
// env: KEFU_BASE, KEFU_EMAIL, KEFU_PASSWORD, KEFU_CHROMIUM (default
// /usr/bin/chromium), KEFU_SHOTS (screenshot folder, optional).
import { chromium } from 'playwright-core'
import { createInterface } from 'node:readline'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const base = process.env.KEFU_BASE
const shots = process.env.KEFU_SHOTS
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

function step(name) {
  console.log('@@ ' + name)
}
async function recv() {
  const { value, done } = await lines.next()
  if (done) throw new Error('the Go test closed stdin')
  return JSON.parse(value)
}
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}

const browser = await chromium.launch({
  executablePath: process.env.KEFU_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
})
const dialogs = []
const pageErrors = []
try {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } })
  const page = await ctx.newPage()
  page.setDefaultTimeout(15000)
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    d.dismiss().catch(() => {})
  })
  // Test hook: keep the page's websockets so the test can cut them, and a
  // switch that makes reconnects fail until it is turned off.
  await page.addInitScript(() => {
    const Native = window.WebSocket
    window.__sockets = []
    window.__blockWS = false
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        super(window.__blockWS ? 'ws://127.0.0.1:9/' : url, protocols)
        window.__sockets.push(this)
      }
    }
  })
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error') console.error('console:', m.text())
  })
  const shot = async (name) => {
    if (!shots) return
    mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: join(shots, name + '.png') })
  }

  // Log in.
  await page.goto(base + '/')
  await page.getByRole('button', { name: '登录' }).waitFor()
  await shot('01-login')
  await page.fill('input[name=email]', process.env.KEFU_EMAIL)
  await page.fill('input[name=password]', process.env.KEFU_PASSWORD)
  await page.getByRole('button', { name: '登录' }).click()
  await page.locator('.conn[data-conn=open]').waitFor()
  check(await page.evaluate(() => !!sessionStorage.getItem('kefu.token')), 'token kept in sessionStorage')

  // Go online.
  await page.getByRole('button', { name: '在线' }).click()
  await page.locator('.status-switch .st.online.active').waitFor()
  step('online')

  // A customer message arrives live (no reload).
  const first = await recv()
  const item = page.locator('.list li', { hasText: first.text })
  await item.waitFor()
  await item.click()
  await page.locator('.msg.in .text', { hasText: first.text }).waitFor()

  // Reply.
  await page.fill('textarea[name=reply]', first.reply)
  await page.getByRole('button', { name: '发送' }).click()
  await page.locator('.msg.out .text', { hasText: first.reply }).waitFor()
  await shot('02-conversation')
  step('replied')

  // Hostile customer text and name render as text; no dialog fires.
  const evil = await recv()
  const evilMsg = page.locator('.msg.in .text', { hasText: evil.marker })
  await evilMsg.waitFor()
  check((await evilMsg.textContent()) === evil.text, 'customer text shown verbatim: ' + (await evilMsg.textContent()))
  check((await page.locator('.msgs img, .list img').count()) === 0, 'no <img> element was created from customer text')
  const name = await page.locator('.pane-head h2').textContent()
  check(name === evil.name, 'customer name shown verbatim: ' + name)
  await page.waitForTimeout(500) // give an injected handler the chance to fire
  await shot('03-hostile-text')
  check(dialogs.length === 0, 'no dialog fired: ' + JSON.stringify(dialogs))

  // Cut the websocket; a message arrives while the page is disconnected;
  // after reconnecting it shows exactly once, and nothing else repeats.
  await page.evaluate(() => {
    window.__blockWS = true
    window.__sockets.forEach((s) => s.close())
  })
  await page.locator('.conn[data-conn=closed], .conn[data-conn=connecting]').first().waitFor()
  step('cut')
  const missed = await recv()
  await page.evaluate(() => (window.__blockWS = false))
  await page.locator('.conn[data-conn=open]').waitFor()
  await page.locator('.msg.in .text', { hasText: missed.text }).waitFor()
  await page.waitForTimeout(300)
  check((await page.locator('.msg.in .text', { hasText: missed.text }).count()) === 1, 'the missed message shows once')
  const seqs = await page.locator('.msgs .msg').evaluateAll((els) => els.map((e) => e.dataset.seq))
  check(seqs.length === missed.count && new Set(seqs).size === seqs.length, 'no gap, no duplicate: ' + seqs.join(','))

  // Close the conversation.
  await page.getByRole('button', { name: '结束会话' }).click()
  await page.getByRole('button', { name: '已结束' }).waitFor()
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '))
  step('done')
} catch (e) {
  // Say what the page showed: its error lines and a screenshot.
  const page = browser.contexts()[0]?.pages()[0]
  if (page) {
    console.error('page errors shown:', await page.locator('.error').allTextContents().catch(() => []))
    if (shots) await page.screenshot({ path: join(shots, 'zz-failure.png') }).catch(() => {})
  }
  throw e
} finally {
  await browser.close()
}
