// Browser test of a rich robot answer in the widget, driven by
// TestRobotRichAnswerBrowser (e2e/browser/richanswer_test.go): on the
// direct chat page a visitor asks, the robot answers with the article's
// rich answer: its text, and its image (an admin's upload) shown and
// loaded in the chat.
//
// argv[2]: JSON {chat, shots}.
import { chromium } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const P = JSON.parse(process.argv[2] || '{}')
const browser = await chromium.launch({
  executablePath: process.env.KEFU_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
})
const W = (page, sel) => page.locator('#kefu-widget ' + sel)
try {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true })
  const page = await ctx.newPage()
  page.setDefaultTimeout(20000)
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('dialog', (d) => { errors.push('dialog: ' + d.message()); d.dismiss() })
  await page.goto(P.chat)
  const ta = W(page, '.cp textarea')
  await ta.fill('请问邮费多少钱')
  await ta.press('Enter')
  const answer = W(page, '.ms .m.ag').filter({ hasText: '满99元包邮' }).first()
  await answer.waitFor()
  const img = answer.locator('img').first()
  await img.waitFor()
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle())
  const text = await answer.textContent()
  if (!text.includes('[图片]')) throw new Error('the answer text lacks [图片]: ' + text)
  if (errors.length) throw new Error('page errors: ' + errors.join('; '))
  if (P.shots) {
    mkdirSync(P.shots, { recursive: true })
    await page.screenshot({ path: join(P.shots, 'robot-rich-answer.png') })
  }
  console.log('@@ ' + JSON.stringify({ step: 'done', src: await img.getAttribute('src') }))
} finally {
  await browser.close()
}
