// Browser test of the app SDK's example page, driven by TestUIAppExamplePage
// (e2e/browser): the page comes from another origin than the hub (its own
// static server), so every call of the SDK is cross-origin under the
// browser's usual rules. It identifies, sends, shows the agent's reply as
// text, and fits 375 px.
//
// env: KEFU_PAGE (the page URL with ?baseURL=&appKey=&userId=&userHash=),
// KEFU_CHROMIUM, KEFU_SHOTS (optional).
import { step, check, newPage, shot, run, pageErrors } from './browser.mjs'

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
  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
