// Browser test of ticket SLAs (服务时效), driven by TestUITicketSLA
// (e2e/browser): the console's empty SLA page, two rules added and saved;
// an offline ticket made urgent shows its due times counting down; a ticket
// past its due time is flagged in the list (sorted by due), the sweeper's
// notice shows, the overdue view counts it; following a ticket; the
// tickets page at 375 px.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors, base, slow } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD

await run('sla-', async () => {
  const page = await newPage('admin')
  await login(page, '/console/sla', email, password)
  await page.locator('[data-test=sla-empty]').waitFor()
  await shot(page, 'console-sla-empty')

  // 紧急: answer in 30 minutes, solve in 4 hours; 高: 1 hour and 8 hours.
  for (const [prio, first, solve] of [['urgent', '30', '240'], ['high', '60', '480']]) {
    await page.locator('[data-action=sla-add]').click()
    const row = page.locator('[data-test=sla-policy]').last()
    await row.locator('select[name=sla-priority]').selectOption(prio)
    await row.locator('input[name=sla-first-response]').fill(first)
    await row.locator('input[name=sla-resolution]').fill(solve)
  }
  await page.locator('[data-action=sla-save]').click()
  await page.locator('.toast', { hasText: 'SLA 规则已保存' }).waitFor()
  await shot(page, 'console-sla')
  step('rules-saved')
  const { invoice, refund } = await recv()

  // The invoice ticket made urgent: its clocks start, counting down.
  await page.goto(base + '/tickets')
  const invoiceRow = page.locator('table.grid tbody tr', { hasText: '发票抬头开错了' })
  await invoiceRow.waitFor()
  // Every notice the page shows from now on is kept (a notice goes away
  // after a few seconds, maybe before the step that looks for it); then
  // the test makes the refund ticket overdue, for the sweeper to find.
  await page.evaluate(() => {
    window.seenToasts = []
    new MutationObserver(() => document.querySelectorAll('.toast').forEach((t) => {
      if (!window.seenToasts.includes(t.textContent)) window.seenToasts.push(t.textContent)
    })).observe(document.body, { childList: true, subtree: true, characterData: true })
  })
  step('watching')
  await recv()
  await invoiceRow.click()
  const detail = page.locator('.ticket-detail')
  await detail.locator('h3', { hasText: '发票抬头开错了' }).waitFor()
  check((await detail.locator('[data-test=sla]').textContent()).includes('无时限'), 'a normal ticket has no target')
  await detail.locator('select[name=tk-set-priority]').selectOption('urgent')
  const first = detail.locator('[data-test=sla-first-response]')
  await first.waitFor()
  check(/剩余 (29|30)分钟/.test(await first.textContent()), 'first response countdown: ' + (await first.textContent()))
  check(/剩余 (3小时5\d分钟|4小时)/.test(await detail.locator('[data-test=sla-resolution]').textContent()), 'resolution countdown: ' + (await detail.locator('[data-test=sla-resolution]').textContent()))

  // Follow it: it shows under 我关注的.
  await detail.locator('[data-action=follow]').click()
  await detail.locator('[data-action=follow]', { hasText: '取消关注' }).waitFor()
  await detail.getByText('1 人关注').waitFor()
  await page.locator('[data-view=following] .count', { hasText: '1' }).waitFor()

  // The refund ticket, due a minute ago, comes first by due time, flagged.
  await page.locator('select[name=ticket-sort]').selectOption('due')
  const top = page.locator('table.grid tbody tr').first()
  await top.locator('[data-test=breach]').waitFor()
  check((await top.textContent()).includes('退款三天还没到账'), 'first by due: ' + (await top.textContent()))
  check((await invoiceRow.textContent()).includes('剩余'), 'the invoice row counts down: ' + (await invoiceRow.textContent()))
  // The hub's sweeper (every 30 s) flags it and tells the workbench.
  await page.waitForFunction((text) => window.seenToasts.some((t) => t.includes(text)), '工单“退款三天还没到账”的解决时限已超时',
    { timeout: 45000 * slow })
  await page.locator('[data-view=overdue] .count', { hasText: '1' }).waitFor()
  await shot(page, 'workbench-ticket-sla')

  // On a phone.
  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/tickets', email, password)
  await phone.locator('table.grid tbody tr', { hasText: '发票抬头开错了' }).click()
  await phone.locator('[data-test=sla-first-response]').waitFor()
  await phone.locator('[data-test=sla]').scrollIntoViewIfNeeded()
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the tickets page is ${wide}px wide at 375`)
  await shot(phone, 'workbench-ticket-sla-375')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  check(invoice && refund, 'the test sent both tickets')
  step('done')
})
