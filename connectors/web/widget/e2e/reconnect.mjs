// Browser test of the widget across a dropped socket, driven by
// TestWidgetReconnectBrowser (e2e/browser/widget_test.go): the visitor's
// conversation is transferred while their socket is down, so the transfer's
// 「… 为您服务」 reaches no socket; once the widget is back, the visitor is
// told who serves them now, once, and the header names them.
//
// argv[2]: JSON {chat, shots}; "@@ {json}" lines are steps the Go side
// answers with one JSON line (see widget.mjs).
import { launch } from './launch.mjs'
import { createInterface } from 'node:readline'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const P = JSON.parse(process.argv[2] || '{}')
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
async function step(name, data = {}) {
  console.log('@@ ' + JSON.stringify({ step: name, ...data }))
  const { value, done } = await lines.next()
  if (done) throw new Error('the Go test closed stdin')
  const r = JSON.parse(value || 'null') || {}
  if (r.error) throw new Error(`Go side at step ${name}: ${r.error}`)
  return r
}
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}
const browser = await launch()
const W = (page, sel) => page.locator('#kefu-widget ' + sel)
try {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true })
  // Every socket the widget opens is kept in window.__socks; while
  // window.__down is set, new ones go to a closed port (the network is out).
  await ctx.addInitScript(() => {
    const Real = window.WebSocket
    window.__socks = []
    window.WebSocket = function (url, protocols) {
      const s = new Real(window.__down ? 'ws://127.0.0.1:9/' : url, protocols)
      window.__socks.push(s)
      return s
    }
    window.WebSocket.prototype = Real.prototype
    Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 })
  })
  const v = await ctx.newPage()
  v.setDefaultTimeout(20000 * (Number(process.env.KEFU_SLOW) || 1))
  await v.goto(P.chat)
  const ta = W(v, '.cp textarea')
  await ta.fill('重连测试 我想咨询')
  await ta.press('Enter')
  const first = await step('sent')
  await W(v, '.hd .su').filter({ hasText: first.name }).waitFor()

  // The network goes: the socket closes and reconnecting fails.
  await v.evaluate(() => {
    window.__down = true
    window.__socks[window.__socks.length - 1].close()
  })
  await W(v, '.cn').filter({ hasText: /\S/ }).waitFor() // the "reconnecting" notice
  const next = await step('offline') // the Go side transfers the conversation meanwhile
  await v.evaluate(() => (window.__down = false))

  const told = `${next.name} 为您服务`
  await W(v, '.ms *').filter({ hasText: told }).first().waitFor({ timeout: 45000 })
  await W(v, '.hd .su').filter({ hasText: next.name }).waitFor()
  const n = await v.evaluate(
    (t) => Array.from(document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.ms *')).filter((e) => e.children.length === 0 && e.textContent.includes(t)).length,
    told,
  )
  check(n === 1, `"${told}" shown ${n} times, want once`)
  if (P.shots) {
    mkdirSync(P.shots, { recursive: true })
    await v.screenshot({ path: join(P.shots, 'widget-30-reconnected-transfer-375.png') })
  }
  await step('told')
  await ctx.close()
} finally {
  await browser.close()
}
