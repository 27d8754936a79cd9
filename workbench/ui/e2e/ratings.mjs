// Browser test of the console's ratings page (满意度), driven by TestUIRatings
// (e2e/browser): the empty list; a visitor's bad rating listed with its
// tag, its comment's markup shown as text, found by "只看差评"; the admin is
// told of the bad rating in the workbench; the scale cut to three levels,
// one renamed, saved; the page at 375 px.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD

await run('ratings-', async () => {
  const wb = await newPage('workbench')
  await login(wb, '/', email, password)
  await wb.locator('[data-nav=console]').waitFor()
  const page = await newPage('admin')
  await login(page, '/console/ratings', email, password)
  await page.locator('[data-empty=ratings]', { hasText: '暂无符合条件的评价' }).waitFor()
  await shot(page, 'ratings-empty')
  step('empty-seen')
  const { conv } = await recv()

  // The workbench tells the admin of the bad rating.
  await wb.getByText('收到差评').first().waitFor()

  await page.locator('[data-form=rating-filters] input[name=bad]').check()
  await page.getByRole('button', { name: '查询' }).click()
  const row = page.locator('[data-table=ratings] tbody tr').first()
  await row.waitFor()
  const text = await row.textContent()
  check(text.includes('非常不满意') && text.includes('差评'), 'the row: ' + text)
  check(text.includes('<img src=x'), 'the comment’s markup is shown as text: ' + text)
  check((await page.title()) !== 'pwned', 'the comment ran as markup')
  check((await page.locator('[data-table=ratings] img').count()) === 0, 'an image element came from the comment')
  await shot(page, 'ratings-list')

  // The scale: three levels, the middle one renamed.
  const form = page.locator('[data-form=rating-settings]')
  await form.locator('input[name=level-label-0]').waitFor()
  await form.getByRole('button', { name: '删除' }).nth(4).click()
  await form.getByRole('button', { name: '删除' }).nth(3).click()
  await form.locator('select[name=level-score-1]').selectOption('3')
  await form.locator('input[name=level-label-1]').fill('还行')
  await form.locator('select[name=level-score-2]').selectOption('1')
  await form.locator('input[name=level-label-2]').fill('不满意')
  await form.getByRole('button', { name: '保存' }).click()
  await page.getByText('已保存').first().waitFor()
  await shot(page, 'ratings-settings')

  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/console/ratings', email, password)
  await phone.locator('[data-table=ratings] tbody tr').first().waitFor()
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the ratings page is ${wide}px wide at 375`)
  await shot(phone, 'ratings-375')
  check(conv !== '', 'the conversation id')
  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
