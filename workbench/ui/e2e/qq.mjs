// Browser test of the QQ channel form and the reply window, driven by
// TestUIQQReplyWindow (e2e/browser/qq_test.go): the admin binds the bot in
// the console (Chinese labels, the AppID checked, the callback URL and
// the platform's limits shown); in the workbench the composer counts down
// QQ's 60-minute window and its 5 replies, and is disabled, saying why,
// once they are used.
//
// env: KEFU_BASE, KEFU_EMAIL, KEFU_PASSWORD, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD,
// KEFU_QQ_APPID, KEFU_QQ_SECRET, KEFU_CHROMIUM, KEFU_SHOTS; the harness is
// in browser.mjs.
import { step, recv, check, newPage, shot, login, setStatus, run, dialogs, pageErrors } from './browser.mjs'

await run('qq-', async () => {
  const admin = await newPage('admin')
  await login(admin, '/console/channels', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await admin.click('button[data-new-channel=qq]')
  await admin.locator('.channel-form', { hasText: 'AppID（机器人ID）' }).waitFor()
  check(await admin.locator('.qq-limits', { hasText: '60 分钟' }).isVisible(), 'the form explains QQ’s reply window')
  await admin.fill('input[name=channel-name]', 'QQ 客服')
  await admin.fill('input[name=app_id]', 'bot-1')
  await admin.fill('input[name=app_secret]', process.env.KEFU_QQ_SECRET)
  await admin.click('.save-channel')
  await admin.locator('.form-errors', { hasText: 'AppID' }).waitFor()
  await admin.fill('input[name=app_id]', process.env.KEFU_QQ_APPID)
  await admin.click('.save-channel')
  await admin.locator('[data-test=channel-setup]').waitFor()
  const url = await admin.inputValue('input[name=setup-webhookUrl]')
  check(url.includes('/webhooks/qq/'), 'the callback URL to paste is shown: ' + url)
  check(await admin.locator('.setup-note', { hasText: '60 分钟' }).count() > 0, 'the setup notes say the limits')
  await shot(admin, 'console-qq-channel-created')
  await admin.setViewportSize({ width: 375, height: 800 })
  await shot(admin, 'console-qq-channel-375')
  step(`qq ${url.split('/').pop()}`)
  await admin.context().close()

  const page = await newPage('agent')
  await login(page, '/', process.env.KEFU_EMAIL, process.env.KEFU_PASSWORD)
  await page.locator('.conn[data-conn=open]').waitFor()
  await setStatus(page, '在线', 'online')
  step('online')

  const first = await recv()
  await page.locator('.list li', { hasText: first.text }).click()
  const win = page.locator('[data-test=reply-window]')
  await win.waitFor()
  const text = await win.textContent()
  check(/回复窗口剩余 (59:\d\d|1:00:00|60:00)/.test(text) && text.includes('5/5'), 'the window counts down 60 minutes and 5 replies: ' + text)
  await shot(page, 'workbench-qq-window')
  for (let i = 1; i <= 5; i++) {
    await page.fill('textarea[name=reply]', `第 ${i} 条回复 qq-${i}`)
    await page.getByRole('button', { name: '发送' }).click()
    await page.locator('.msg.out .text', { hasText: `qq-${i}` }).waitFor()
  }
  await page.locator('[data-test=reply-window].closed').waitFor()
  check(await page.locator('textarea[name=reply]').isDisabled(), 'the composer is disabled once the 5 replies are used')
  await shot(page, 'workbench-qq-window-closed')
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '))
  check(dialogs.length === 0, 'no dialog fired: ' + JSON.stringify(dialogs))
  step('done')
})
