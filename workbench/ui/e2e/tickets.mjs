// Browser test of ticket custom fields and saved ticket views, driven by
// TestUITicketFieldsAndViews (e2e/browser): the admin defines two ticket
// fields in the console; a ticket made on the tickets page fills them
// (shown on the ticket and in the list); the list filtered by a field is
// saved as a shared view, which shows beside the fixed views with its
// count; the ticket's fields edited; the view renamed; the page at 375 px.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors, base } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD

await run('tickets-', async () => {
  const page = await newPage('admin')
  await login(page, '/console/fields', email, password)
  await page.locator('[data-entity=ticket]').click()
  await page.getByText('还没有自定义字段。').waitFor()
  for (const [label, key, type, opts] of [['产品线', 'product', 'select', '手机，平板'], ['订单号', 'order_no', 'text', '']]) {
    await page.locator('input[name=field-label]').fill(label)
    await page.locator('input[name=field-key]').fill(key)
    await page.locator('select[name=field-type]').selectOption(type)
    if (opts) await page.locator('input[name=field-options]').fill(opts)
    if (key === 'product') await page.locator('input[name=field-required]').check()
    await page.locator('[data-action=add-field]').click()
    await page.locator(`tr[data-field=${key}]`).waitFor()
  }
  await shot(page, 'console-ticket-fields')
  // the customers' fields are another list
  await page.locator('[data-entity=contact]').click()
  await page.getByText('还没有自定义字段。').waitFor()
  step('fields')
  await recv() // the hub has a customer 张伟 and a tablet ticket

  // A ticket by hand fills the fields.
  await page.goto(base + '/tickets')
  await page.locator('[data-action=new-ticket]').click()
  const form = page.locator('.new-ticket')
  await form.locator('input[name=tk-subject]').fill('手机屏幕碎了')
  await form.locator('input[name=tk-customer-q]').fill('张伟')
  await form.getByRole('button', { name: '搜索' }).click()
  await form.locator('select[name=tk-customer]').waitFor()
  await form.locator('select[name=tk-customer]').selectOption({ index: 0 })
  await form.locator('select[name=cf-product]').selectOption('手机')
  await form.locator('input[name=cf-order_no]').fill('NO-1')
  await page.locator('[data-action=create-ticket]').click()
  const detail = page.locator('.ticket-detail')
  await detail.locator('h3', { hasText: '手机屏幕碎了' }).waitFor()
  check((await detail.locator('select[name=cf-product]').inputValue()) === '手机', 'the ticket shows its product')
  check((await detail.locator('input[name=cf-order_no]').inputValue()) === 'NO-1', 'the ticket shows its order number')
  const row = page.locator('table.grid tbody tr', { hasText: '手机屏幕碎了' })
  await row.locator('[data-chip=product]', { hasText: '产品线：手机' }).waitFor()

  // Filter by the field: only the phone ticket; save it as a shared view.
  await page.locator('select[name=ticket-field]').selectOption('product')
  await page.locator('select[name=ticket-field-value]').selectOption('手机')
  await page.locator('table.grid tbody tr', { hasText: '平板不开机' }).waitFor({ state: 'detached' })
  check((await page.locator('table.grid tbody tr').count()) === 1, 'the field filter lists one ticket')
  await page.locator('[data-action=save-view]').click()
  await page.locator('input[name=view-name]').fill('手机工单')
  await page.locator('input[name=view-shared]').check()
  await page.locator('[data-action=confirm-view]').click()
  const tab = page.locator('button[data-saved]', { hasText: '手机工单' })
  await tab.locator('.count', { hasText: '1' }).waitFor()
  check((await tab.getAttribute('aria-selected')) === 'true', 'the saved view is open')
  await shot(page, 'workbench-ticket-saved-view')

  // Editing the ticket's fields; a wrong value never leaves the form (the
  // select offers only the options), the order number changes.
  await detail.locator('input[name=cf-order_no]').fill('NO-2')
  await detail.locator('[data-action=save-fields]').click()
  await page.getByText('没有符合条件').waitFor({ state: 'detached' }).catch(() => {})
  // back to 全部: the tablet ticket is there again; the view keeps its count
  await page.locator('[data-view=all]').click()
  await page.locator('table.grid tbody tr', { hasText: '平板不开机' }).waitFor()
  await tab.click()
  await page.locator('table.grid tbody tr', { hasText: '平板不开机' }).waitFor({ state: 'detached' })
  // renamed
  await page.locator('[data-action=rename-view]').click()
  await page.locator('input[name=view-name]').fill('手机（全部）')
  await page.locator('[data-action=confirm-view]').click()
  await page.locator('button[data-saved]', { hasText: '手机（全部）' }).waitFor()

  // On a phone.
  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/tickets', email, password)
  await phone.locator('button[data-saved]', { hasText: '手机（全部）' }).click()
  await phone.locator('table.grid tbody tr', { hasText: '手机屏幕碎了' }).click()
  await phone.locator('.ticket-detail [data-test=ticket-fields]').waitFor()
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the tickets page is ${wide}px wide at 375`)
  await phone.locator('button[data-saved]').scrollIntoViewIfNeeded()
  await shot(phone, 'workbench-ticket-saved-view-375')
  await phone.locator('.ticket-detail [data-test=ticket-fields]').scrollIntoViewIfNeeded()
  await shot(phone, 'workbench-ticket-fields-375')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
