// Browser test of the app SDK's example page, driven by TestUIAppExamplePage
// (e2e/browser): the page comes from another origin than the hub (its own
// static server), so every call of the SDK is cross-origin under the
// browser's usual rules. It identifies, sends, shows the agent's reply as
// text, and fits 375 px; when the agent closes, it offers the tenant's
// rating levels and the picked level's reasons, and sends the rating.
//
// env: KEFU_PAGE (the page URL with ?baseURL=&appKey=&userId=&userHash=),
// KEFU_CHROMIUM, KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, run, pageErrors } from './browser.mjs'

await run('app-example-', async () => {
  const page = await newPage('app')
  await page.setViewportSize({ width: 375, height: 740 })
  await page.goto(process.env.KEFU_PAGE)
  await page.getByRole('button', { name: '开始咨询' }).click()
  await page.locator('#chat:not([hidden])').waitFor()
  await page.locator('#state', { hasText: '已连接' }).waitFor()
  await page.locator('#text').fill('我在网页里提问')
  await page.getByRole('button', { name: '发送', exact: true }).click()
  step('sent')
  await page.getByText('马上为您查询').waitFor()
  const html = await page.locator('#log').innerHTML()
  check(!html.includes('<b>您好</b>'), 'the reply’s markup became markup: ' + html)
  check(html.includes('&lt;b&gt;您好&lt;/b&gt;'), 'the reply shows as text: ' + html)
  const wide = await page.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the example page is ${wide}px wide at 375`)
  await shot(page, 'app-example-375')
  step('replied')
  await recv() // the agent closed the conversation

  // 满意度: the tenant's levels, then the reasons of the level picked.
  const form = page.locator('#rate:not([hidden])')
  await form.waitFor()
  const labels = await form.locator('#levels button').allTextContents()
  check(labels.join('|') === '非常满意|满意|一般|不满意|非常不满意', 'the levels offered: ' + labels.join('|'))
  check(await page.locator('#rateSend').isDisabled(), 'the rating can be sent before a level is picked')
  await form.locator('#levels button[data-score="2"]').click()
  const reasons = await form.locator('#reasons button').allTextContents()
  check(reasons.join('|') === '等待时间长|问题未解决|服务态度差', 'the reasons of 不满意: ' + reasons.join('|'))
  await form.locator('#reasons button', { hasText: '问题未解决' }).click()
  await form.locator('#reasons button', { hasText: '等待时间长' }).click()
  await page.locator('#rateComment').fill('<b>快递</b>太慢')
  check((await page.evaluate(() => document.documentElement.scrollWidth)) <= 375, 'the rating form is wider than 375 px')
  await shot(page, 'app-example-rating-375')
  await page.locator('#rateSend').click()
  await page.locator('#typing', { hasText: '感谢您的评价' }).waitFor()
  check(await page.locator('#rate').isHidden(), 'the form stays after the rating was sent')
  step('rated')
  await recv()
  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
