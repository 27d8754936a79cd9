// Browser test of the e-mail channel's console, driven by TestUIEmailChannel
// (e2e/browser/email_test.go): the admin fills the mailbox form (Chinese
// labels), the connection test explains a wrong password in Chinese and
// then succeeds, the channel is saved, the notification list gets an
// address, and "立即收信" reads the customer's mail into a ticket.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_SMTP_PORT,
// KEFU_IMAP_PORT, KEFU_MAILBOX, KEFU_MAILBOX_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS; the harness is in browser.mjs.
import { step, recv, check, newPage, shot, login, run, dialogs, pageErrors } from './browser.mjs'

await run('email-', async () => {
  const admin = await newPage('admin')
  await login(admin, '/console/channels', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await admin.click('button[data-new-channel=email]')
  await admin.locator('.channel-form', { hasText: '发信（SMTP）' }).waitFor()
  await admin.fill('input[name=channel-name]', '客服邮箱')
  await admin.fill('input[name=smtp_host]', '127.0.0.1')
  await admin.selectOption('select[name=smtp_tls]', 'none')
  await admin.fill('input[name=smtp_port]', process.env.KEFU_SMTP_PORT)
  await admin.fill('input[name=from_name]', '小店客服')
  await admin.fill('input[name=from_address]', process.env.KEFU_MAILBOX)
  await admin.fill('input[name=imap_host]', '127.0.0.1')
  await admin.selectOption('select[name=imap_tls]', 'none')
  await admin.fill('input[name=imap_port]', process.env.KEFU_IMAP_PORT)
  await admin.fill('input[name=imap_password]', 'wrong-password')
  await admin.click('[data-test=email-test]')
  await admin.locator('[data-test=email-test-result] dd.error', { hasText: '登录被拒绝' }).waitFor()
  await shot(admin, 'console-email-test-failed')
  await admin.fill('input[name=imap_password]', process.env.KEFU_MAILBOX_PASSWORD)
  await admin.click('[data-test=email-test]')
  await admin.locator('[data-test=email-test-result] dd.ok').nth(1).waitFor()
  check((await admin.locator('[data-test=email-test-result] dd.ok').count()) === 2, 'both servers connect')
  await shot(admin, 'console-email-form')
  await admin.click('.save-channel')
  await admin.locator('[data-test=channel-setup]').waitFor()
  await admin.click('tr[data-channel="客服邮箱"]')
  const panel = admin.locator('[data-test=email-panel]')
  await panel.locator('h4', { hasText: '邮件通知人' }).waitFor()
  await admin.fill('input[name=email-recipient-address]', 'boss@shop.test')
  await admin.press('input[name=email-recipient-address]', 'Enter')
  await admin.click('[data-test=email-save-recipients]')
  await panel.locator('[role=status]', { hasText: '已保存' }).waitFor()
  step('bound')

  await recv() // the customer's mail is in the mailbox
  await admin.click('[data-test=email-poll]')
  await panel.locator('[role=status]', { hasText: '收到 1 封' }).waitFor()
  await shot(admin, 'console-email-channel')
  await admin.setViewportSize({ width: 375, height: 800 })
  await shot(admin, 'console-email-channel-375')
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '))
  check(dialogs.length === 0, 'no dialog fired: ' + JSON.stringify(dialogs))
  step('done')
})
