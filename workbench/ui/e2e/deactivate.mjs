// Browser test of deactivating ("deleting") agents and channels in the
// console, driven by TestUIDeactivate (e2e/browser): the agent's confirm
// dialog hands their open chat to a chosen agent, the row shows 已停用;
// a channel's dialog, its 已停用 tag and note, the direct chat page of the
// deactivated web channel saying 客服暂不可用 (410); reactivation after a confirm;
// the dialog at 375 px.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors, base } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD

await run('deactivate-', async () => {
  const { leaver, heir, web } = await recv()
  const page = await newPage('admin')
  page.removeAllListeners('dialog')
  page.on('dialog', (d) => d.accept().catch(() => {})) // the reactivation confirms
  await login(page, '/console/agents', email, password)

  // The agent: the dialog says what happens, the open chat goes to the heir.
  const row = page.locator(`tr[data-agent="${leaver}"]`)
  await row.locator('.toggle-active', { hasText: '停用' }).click()
  const dialog = page.locator('.modal[role=dialog]')
  await dialog.getByText('历史会话、工单和报表中的名字都会保留').waitFor()
  await dialog.getByText('TA 当前有 1 个进行中的会话').waitFor()
  const options = await dialog.locator('select[name=reassign-to] option').allTextContents()
  check(options.includes('放回排队，由系统重新分配') && options.includes('小李') && !options.includes('小王'), 'heirs: ' + options)
  await dialog.locator('select[name=reassign-to]').selectOption({ label: '小李' })
  await shot(page, 'console-deactivate-agent')
  await dialog.locator('.confirm-deactivate').click()
  await page.getByText('已停用 小王').waitFor()
  await row.locator('td', { hasText: '已停用' }).waitFor()
  await row.locator('.toggle-active', { hasText: '重新启用' }).waitFor()
  check(await row.evaluate((r) => r.classList.contains('disabled')), 'the row is greyed')
  step('agent-deactivated')
  await recv()

  // Reactivated after a confirm.
  await row.locator('.toggle-active', { hasText: '重新启用' }).click()
  await page.getByText('已重新启用 小王').waitFor()
  await row.locator('.toggle-active', { hasText: '停用' }).waitFor()

  // The channel: deactivated from its detail panel.
  await page.goto(base + '/console/channels')
  await page.locator('tr[data-channel="官网"]').click()
  await page.locator('.deactivate-channel').click()
  await dialog.getByText('网页插件显示“服务暂不可用”').waitFor()
  await shot(page, 'console-deactivate-channel')
  await dialog.locator('.confirm-deactivate').click()
  await page.locator('tr[data-channel="官网"] .channel-off', { hasText: '已停用' }).waitFor()
  await page.locator('.channel-off-note', { hasText: '此渠道已停用' }).waitFor()
  await shot(page, 'console-channel-deactivated')

  // Its direct chat page opens and says the service is unavailable.
  const visitor = await newPage('visitor')
  const res = await visitor.goto(base + '/chat/' + web)
  check(res.status() === 410, 'the chat page answers ' + res.status())
  await visitor.getByRole('heading', { name: '客服暂不可用' }).waitFor()
  await shot(visitor, 'widget-channel-deactivated')
  step('channel-deactivated')
  await recv()

  await page.locator('.reactivate-channel').click()
  await page.locator('.deactivate-channel').waitFor()
  check((await page.locator('tr[data-channel="官网"] .channel-off').count()) === 0, 'the tag is gone')

  // On a phone: the dialog fits.
  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/console/agents', email, password)
  await phone.locator(`tr[data-agent="${heir}"] .toggle-active`).click()
  await phone.locator('.modal[role=dialog] .confirm-deactivate').waitFor()
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the agents page with the dialog is ${wide}px wide at 375`)
  await shot(phone, 'console-deactivate-agent-375')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
