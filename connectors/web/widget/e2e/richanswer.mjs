// Browser test of a rich robot answer in the widget, driven by
// TestRobotRichAnswerBrowser (e2e/browser/richanswer_test.go): on the
// direct chat page a visitor asks (with words that look like markup), the
// robot answers with the article's rich answer, built with DOM calls:
// bold, italics, a list, the https link (new tab, noopener), no
// javascript: link, the mailto: link as its words, the image (an admin's
// upload) loaded and shown once; the visitor's words stay inert text.
//
// argv[2]: JSON {chat, shots}.
import { launch } from './launch.mjs'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const P = JSON.parse(process.argv[2] || '{}')
const browser = await launch()
const W = (page, sel) => page.locator('#kefu-widget ' + sel)
const check = (cond, what) => {
  if (!cond) throw new Error('check failed: ' + what)
}
try {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true })
  const page = await ctx.newPage()
  page.setDefaultTimeout(20000 * (Number(process.env.KEFU_SLOW) || 1))
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('dialog', (d) => { errors.push('dialog: ' + d.message()); d.dismiss() })
  await page.goto(P.chat)
  const ta = W(page, '.cp textarea')
  await ta.fill('请问邮费多少钱')
  await ta.press('Enter')
  const answer = W(page, '.ms .m.ag').filter({ hasText: '满99元包邮' }).first()
  await answer.waitFor()
  await answer.locator('.rx strong', { hasText: '满99元包邮' }).waitFor()
  await answer.locator('.rx em', { hasText: '偏远地区' }).waitFor()
  const align = await answer.locator('.rx').evaluate((el) => getComputedStyle(el).textAlign)
  check(align !== 'center', 'the answer reads left to right, not centred: ' + align)
  const items = await answer.locator('.rx ul > li').allTextContents()
  check(items.join('|') === '江浙沪次日达|其他地区 2–3 天', 'the list: ' + items.join('|'))
  const link = answer.locator('.rx a', { hasText: '运费说明' })
  check((await link.getAttribute('href')) === 'https://shop.example.com/ship', 'the link’s address')
  check((await link.getAttribute('target')) === '_blank', 'the link opens a new tab')
  check(/noopener/.test(await link.getAttribute('rel')), 'the link is noopener')
  check((await link.getAttribute('onclick')) === null, 'no handler on the link')
  const hrefs = await answer.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
  check(hrefs.length === 1, 'only the https link is a link: ' + hrefs.join(' '))
  const text = await answer.textContent()
  check(text.includes('点我') && text.includes('邮件'), 'the dropped links keep their words: ' + text)
  check(!text.includes('[图片]'), 'the rich answer shows its image, not [图片]: ' + text)
  const imgs = answer.locator('img')
  await imgs.first().waitFor()
  check((await imgs.count()) === 1, 'the image shows once, not again as an attachment')
  const img = imgs.first()
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle())
  check((await img.getAttribute('onerror')) === null, 'no handler on the image')
  // The visitor's words that look like markup stay text.
  await ta.fill('<b>急</b><img src=x onerror=alert(9)>')
  await ta.press('Enter')
  const mine = W(page, '.ms .m.me').filter({ hasText: '<b>急</b>' }).first()
  await mine.waitFor()
  check((await mine.textContent()).includes('<b>急</b><img src=x onerror=alert(9)>'), 'the visitor sees their words as typed')
  check((await mine.locator('b, img').count()) === 0, 'the visitor’s words made no element')
  const wide = await page.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the chat is ${wide}px wide at 375`)
  if (errors.length) throw new Error('page errors: ' + errors.join('; '))
  if (P.shots) {
    mkdirSync(P.shots, { recursive: true })
    await answer.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(P.shots, 'robot-rich-answer.png') })
  }
  console.log('@@ ' + JSON.stringify({ step: 'done', src: await img.getAttribute('src') }))
} finally {
  await browser.close()
}
