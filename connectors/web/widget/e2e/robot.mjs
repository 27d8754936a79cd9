// Browser test of the channel robot from the visitor's side, driven by
// TestRobotBrowser (e2e/browser/robot_test.go): on the direct chat page a
// visitor asks, the robot answers from the knowledge base, the visitor
// rates the answer 没帮助 and takes the offered 转人工 button, and is told
// they are being transferred; the
// Go side then checks the agent got the conversation with the transcript.
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
  const r = JSON.parse(value)
  if (r.error) throw new Error(`Go side at step ${name}: ${r.error}`)
  return r
}
const browser = await launch()
const W = (page, sel) => page.locator('#kefu-widget ' + sel)
async function shot(page, name) {
  if (!P.shots) return
  mkdirSync(P.shots, { recursive: true })
  await page.screenshot({ path: join(P.shots, `robot-${name}.png`) })
}
async function say(page, text) {
  const ta = W(page, '.cp textarea')
  await ta.fill(text)
  await ta.press('Enter')
}
async function sees(page, text, name) {
  await W(page, '.ms .m.ag')
    .filter({ hasText: text })
    .first()
    .waitFor({ timeout: 20000 })
    .catch(async (e) => {
      await shot(page, name + '-failure')
      const html = await page.evaluate(() => document.getElementById('kefu-widget')?.shadowRoot?.innerHTML.slice(0, 3000))
      throw new Error(`${e.message}\nwaiting for ${text}; the widget showed: ${html}`)
    })
}
try {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true })
  const page = await ctx.newPage()
  page.setDefaultTimeout(20000 * (Number(process.env.KEFU_SLOW) || 1))
  await page.goto(P.chat)
  await say(page, '请问邮费多少钱')
  await sees(page, '您好，我是智能助理小K。', '10-greeting')
  await sees(page, '全场满99元包邮。', '11-answer')
  const label = await W(page, '.ms .m.ag .n').first().textContent()
  if (label !== '智能助理') throw new Error(`robot messages are labelled ${label}, want 智能助理`)
  await shot(page, '11-robot-answered')
  await step('answered')
  // "helpful?" under the answer (not under the greeting): 没帮助 thanks the
  // visitor, the robot offers a person, and the 转人工 button asks for one.
  const answer = W(page, '.ms .m.ag').filter({ hasText: '全场满99元包邮。' })
  if ((await W(page, '.ms .m.ag .fb').count()) !== 1) throw new Error('want the feedback buttons under the one answer only')
  await answer.locator('.fb button[data-helpful="false"]').click()
  await answer.locator('.fb span').filter({ hasText: '感谢您的反馈' }).waitFor()
  await sees(page, '抱歉没能帮到您', '12-unhelpful')
  await shot(page, '12-unhelpful')
  await step('rated')
  await answer.locator('.fb button.hu').click()
  await sees(page, '正在为您转接人工客服', '13-handoff')
  await shot(page, '13-handed-over')
  await step('handed_over')
  await ctx.close()
} finally {
  await browser.close()
}
