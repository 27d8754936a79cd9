// Browser test of the widget when the hub holds visitors back, driven by
// TestWidgetBusyBrowser (e2e/browser/widget_test.go): a socket refused by
// a cap (close 4429) shows a calm "busy, reconnecting" notice instead of
// "unavailable", and a message refused by the channel's conversation caps
// (too_many_conversations) says so in the visitor's language. A rating the
// hub refuses (a reason the admin has just taken off the list) reads
// 出错了 in the visitor's language, never the hub's English reason, and the
// form can be sent again; a rating refused because one was given (and may
// not change) reads 已评价, with no 提交 left to try again.
//
// argv[2]: JSON {busyChat, capsChat, shots}; "@@ {json}" lines are steps
// the Go side answers with one JSON line (see widget.mjs).
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
  const r = JSON.parse(value)
  if (r.error) throw new Error(`Go side at step ${name}: ${r.error}`)
  return r
}
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}
const browser = await launch()
const W = (page, sel) => page.locator('#kefu-widget ' + sel)
async function shot(page, name) {
  if (!P.shots) return
  mkdirSync(P.shots, { recursive: true })
  await page.screenshot({ path: join(P.shots, `widget-${name}.png`) })
}
try {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true })
  // 1. Every visitor socket of this address is taken: the direct chat page
  // says the hub is busy and that it will reconnect, not that chat is unavailable.
  const p1 = await ctx.newPage()
  p1.setDefaultTimeout(15000 * (Number(process.env.KEFU_SLOW) || 1))
  await p1.goto(P.busyChat)
  const note = W(p1, '.cn')
  await note
    .filter({ hasText: '当前咨询人数较多，稍后将自动为您重新连接' })
    .waitFor({ timeout: 30000 })
    .catch(async (e) => {
      await shot(p1, '20-busy-failure')
      const html = await p1.evaluate(() => document.getElementById('kefu-widget')?.shadowRoot?.innerHTML.slice(0, 3000))
      throw new Error(`${e.message}\nthe widget showed: ${html}`)
    })
  check(!(await note.textContent()).includes('客服暂不可用'), 'a refused socket is not shown as unavailable')
  check(await W(p1, '.cp textarea').isVisible(), 'the chat (not the leave-a-message form) stays on screen while busy')
  await shot(p1, '20-busy-reconnecting')
  await p1.close()
  await step('busy') // the Go side frees the address's socket

  // 2. The channel's conversations are at their cap: a first message is
  // refused, and the visitor reads why in their language.
  const p2 = await ctx.newPage()
  p2.setDefaultTimeout(15000 * (Number(process.env.KEFU_SLOW) || 1))
  await p2.goto(P.capsChat)
  const ta = W(p2, '.cp textarea')
  await ta.fill('web-caps 我想咨询')
  await ta.press('Enter')
  await p2.waitForFunction(() => document.getElementById('kefu-widget').shadowRoot.querySelector('.ms .m.me')?.dataset.state === 'failed')
  const failed = await W(p2, '.ms .m.me').textContent()
  check(failed.includes('当前咨询人数较多，请稍后再试'), `the refused message says the chats are full: ${failed}`)
  await shot(p2, '21-too-many-conversations')
  await step('caps') // the Go side closes the first visitor's conversation: the cap lets this one open

  // 3. The hub refuses a frame the visitor sent: a rating with a reason the
  // admin took off the list after the page loaded. The visitor reads the
  // widget's 出错了, not the hub's English reason, and can send again.
  await ta.fill('web-rate 又来咨询')
  await ta.press('Enter')
  await W(p2, '.ms .m.me[data-state=sent]').filter({ hasText: 'web-rate' }).waitFor()
  await step('opened') // the Go side takes 等待时间长 off the list and closes the conversation
  const rt = W(p2, '.rt')
  await rt.waitFor()
  await rt.locator('button[data-score="2"]').click()
  const slow = rt.locator('.rs button', { hasText: '等待时间长' })
  await slow.click()
  const go = rt.getByRole('button', { name: '提交' })
  await go.click()
  const errs = W(p2, '.ms .nt.er')
  await errs.first().waitFor()
  const said = await errs.allTextContents()
  await shot(p2, '22-rating-refused')
  check(said.length === 1 && said[0] === '出错了，请稍后再试', `the refused rating reads 出错了 in Chinese: ${JSON.stringify(said)}`)
  const all = await W(p2, '.ms').textContent()
  check(!/not a reason|[a-z]{3,} [a-z]{3,}/.test(all), `no English reason of the hub's on screen: ${all}`)
  check(await go.isEnabled(), 'the refused rating can be sent again')
  await slow.click() // untick the reason the hub no longer takes
  await go.click()
  await rt.filter({ hasText: '感谢您的评价' }).waitFor()
  await step('rated')

  // 4. The same visitor in a new tab, asked again by the agent: the hub
  // refuses a second rating (the tenant allows no change). The form says
  // 已评价 and offers no 提交 to be refused again.
  await p2.close() // (the address has one socket)
  const p3 = await ctx.newPage()
  p3.setDefaultTimeout(15000 * (Number(process.env.KEFU_SLOW) || 1))
  await p3.goto(P.capsChat)
  await W(p3, '.ms .m.me').filter({ hasText: 'web-rate' }).waitFor() // the history came over the socket
  await step('asked-again') // the agent asks for a rating once more
  const rt3 = W(p3, '.rt')
  await rt3.waitFor()
  await rt3.locator('button[data-score="5"]').click()
  await rt3.getByRole('button', { name: '提交' }).click()
  await rt3.filter({ hasText: '已评价' }).waitFor()
  await shot(p3, '23-rating-already-given')
  check((await rt3.getByRole('button', { name: '提交' }).count()) === 0, 'an already rated form offers 提交 again')
  check((await W(p3, '.ms .nt.er').count()) === 0, `a conflict read as an error: ${await W(p3, '.ms').textContent()}`)
  await step('already-rated')
  await ctx.close()
} finally {
  await browser.close()
}
