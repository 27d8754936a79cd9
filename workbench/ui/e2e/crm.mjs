// Browser test of the customer center (客户中心) and the ticket workflow,
// driven by TestUICustomerCenter (e2e/browser): the empty customer list, a
// customer added by hand, search with a match and without, a ticket opened
// for that customer from the tickets page, its status moved (and a wrong
// move refused in Chinese), the view counts, both pages at 375 px, and the
// console's customer visibility rules saved and read back.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD

await run('crm-', async () => {
  const page = await newPage('admin')
  await login(page, '/customers', email, password)
  await page.getByText('还没有客户').waitFor()
  await shot(page, 'customers-empty')
  step('empty-seen')
  const { conv } = await recv() // a customer wrote while nobody was online

  // Add a customer by hand.
  await page.locator('[data-action=new-customer]').click()
  await page.locator('input[name=c-name]').fill('张伟')
  await page.locator('input[name=c-phone]').fill('13800138000')
  await page.locator('input[name=c-company]').fill('华为技术')
  await page.locator('input[name=c-tags]').fill('VIP，投诉')
  await page.locator('[data-action=save-customer]').click()
  const row = page.locator('table.grid tbody tr', { hasText: '张伟' })
  await row.waitFor()
  check((await row.textContent()).includes('VIP') && (await row.textContent()).includes('华为技术'), 'the new row: ' + (await row.textContent()))
  await shot(page, 'customers-list')

  // Search: by phone digits, then for nobody.
  await page.locator('input[name=customer-q]').fill('0013')
  await page.getByRole('button', { name: '搜索' }).click()
  await row.waitFor()
  await page.locator('input[name=customer-q]').fill('没有这个人')
  await page.getByRole('button', { name: '搜索' }).click()
  await page.getByText('没有符合条件的客户。').waitFor()
  await page.locator('input[name=customer-q]').fill('')
  await page.getByRole('button', { name: '搜索' }).click()
  await row.waitFor()
  // The created-date filter: nobody was created on 2020-01-01, today's customer is.
  const today = new Date().toLocaleDateString('sv', { timeZone: 'Asia/Shanghai' })
  await page.locator('input[name=customer-created-to]').fill('2020-01-01')
  await page.getByText('没有符合条件的客户。').waitFor()
  await page.locator('input[name=customer-created-from]').fill(today)
  await page.locator('input[name=customer-created-to]').fill(today)
  await row.waitFor()
  await shot(page, 'customers-created-filter')
  await page.locator('input[name=customer-created-from]').fill('')
  await page.locator('input[name=customer-created-to]').fill('')
  await row.click()
  await page.locator('.customer-form h3', { hasText: '编辑客户' }).waitFor()
  check((await page.locator('input[name=c-phone]').inputValue()) === '13800138000', 'the edit form holds the phone')

  // A ticket for 张伟, opened from the tickets page.
  await page.locator('[data-nav=tickets]').click()
  await page.locator('[data-action=new-ticket]').click()
  await page.locator('input[name=tk-subject]').fill('退货申请')
  await page.locator('input[name=tk-customer-q]').fill('张伟')
  await page.locator('.new-ticket').getByRole('button', { name: '搜索' }).click()
  await page.locator('select[name=tk-customer]').waitFor()
  await page.locator('select[name=tk-customer]').selectOption({ index: 0 })
  await page.locator('select[name=tk-priority]').selectOption('high')
  await page.locator('[data-action=create-ticket]').click()
  const detail = page.locator('.ticket-detail')
  await detail.locator('h3', { hasText: '退货申请' }).waitFor()
  check((await detail.locator('select[name=tk-status]').inputValue()) === 'new', 'a ticket by hand starts new')
  check((await page.locator('table.grid tbody tr', { hasText: '退货申请' }).textContent()).includes('高'), 'the list shows the priority')
  await detail.locator('select[name=tk-status]').selectOption('pending')
  await detail.locator('p.muted', { hasText: '等待客户回复' }).waitFor()
  await page.locator('[data-view=unassigned] .count', { hasText: '2' }).waitFor() // this one and the offline ticket
  await shot(page, 'tickets-pending')

  // A move the workflow forbids is refused, with the reason in Chinese.
  await detail.locator('select[name=tk-status]').selectOption('new')
  const err = page.locator('p.error', { hasText: '工单不能从' })
  await err.waitFor()
  await shot(page, 'tickets-refused-move')
  await detail.locator('select[name=tk-status]').selectOption('solved')
  await detail.locator('[data-action=reopen]').waitFor()
  await detail.locator('[data-action=reopen]').click()
  await detail.locator('p.muted', { hasText: '处理中' }).waitFor()

  // From a conversation (the customer panel's 新建工单 opens this form).
  await page.goto(process.env.KEFU_BASE + '/tickets?conversation=' + conv)
  await page.locator('[data-test=draft-conversation]').waitFor()
  await page.locator('input[name=tk-subject]').fill('夜间留言回访')
  await page.locator('[data-action=create-ticket]').click()
  await detail.locator('h3', { hasText: '夜间留言回访' }).waitFor()
  await detail.getByText('来自会话 ' + conv).waitFor()
  check(!page.url().includes('conversation='), 'the form is not offered again: ' + page.url())

  // On a phone.
  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/customers', email, password)
  await phone.locator('table.grid tbody tr', { hasText: '张伟' }).waitFor()
  let wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the customers page is ${wide}px wide at 375`)
  await shot(phone, 'customers-375')
  await phone.locator('[data-action=new-customer]').click()
  await phone.locator('input[name=c-name]').waitFor()
  await shot(phone, 'customers-form-375')
  await phone.locator('[data-nav=tickets]').click()
  await phone.locator('[data-view=all]').waitFor()
  wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the tickets page is ${wide}px wide at 375`)
  await shot(phone, 'tickets-375')

  // The console's customer visibility rules (客户可见范围): saved, then read back.
  await phone.goto(process.env.KEFU_BASE + '/console/visibility')
  await phone.locator('input[name=vis-agents_unowned]').waitFor()
  wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the visibility page is ${wide}px wide at 375`)
  await shot(phone, 'console-visibility-375')
  await page.goto(process.env.KEFU_BASE + '/console/visibility')
  await page.locator('input[name=vis-agents_unowned]').check()
  await page.locator('[data-action=vis-save]').click()
  await page.getByText('客户可见范围已保存').waitFor()
  await page.reload()
  await page.locator('input[name=vis-agents_unowned]:checked').waitFor()
  check(!(await page.locator('input[name=vis-supervisors_all]').isChecked()), 'supervisors_all stays off')
  await shot(page, 'console-visibility')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
