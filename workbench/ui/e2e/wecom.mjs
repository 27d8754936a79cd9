// Browser test of the WeCom 微信客服 channel form and the reply window,
// driven by TestUIWecomKfChannel (e2e/browser/wecom_test.go): the admin
// binds the account in the console (Chinese labels, the corp ID checked,
// the URL, Token and EncodingAESKey to paste and the platform's limits
// shown); in the workbench the composer counts down the 48-hour window and
// its 5 replies beside 微信客服's rule, and is disabled once they are used.
//
// env: KEFU_BASE, KEFU_EMAIL, KEFU_PASSWORD, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD,
// KEFU_KF_CORPID, KEFU_KF_SECRET, KEFU_KF_OPENKFID, KEFU_CHROMIUM, KEFU_SHOTS;
// the harness is in browser.mjs.
import { step, recv, check, newPage, shot, login, setStatus, run, dialogs, pageErrors } from './browser.mjs'

await run('wecom-', async () => {
  const admin = await newPage('admin')
  await login(admin, '/console/channels', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await admin.click('button[data-new-channel=wecom_kf]')
  await admin.locator('.channel-form', { hasText: '企业ID（corp_id）' }).waitFor()
  check(await admin.locator('.kf-limits', { hasText: '48 小时' }).isVisible(), 'the form explains 微信客服’s reply window')
  await admin.fill('input[name=channel-name]', '微信客服')
  await admin.fill('input[name=corp_id]', 'ww 1')
  await admin.fill('input[name=kf_secret]', process.env.KEFU_KF_SECRET)
  await admin.fill('input[name=open_kfid]', process.env.KEFU_KF_OPENKFID)
  await admin.fill('textarea[name=welcome_message]', '您好，欢迎咨询！')
  await admin.click('.save-channel')
  await admin.locator('.form-errors', { hasText: '企业ID' }).waitFor()
  await admin.fill('input[name=corp_id]', process.env.KEFU_KF_CORPID)
  await admin.click('.save-channel')
  await admin.locator('[data-test=channel-setup]').waitFor()
  const url = await admin.inputValue('input[name=setup-webhookUrl]')
  const token = await admin.inputValue('input[name=setup-token]')
  const key = await admin.inputValue('input[name=setup-encoding_aes_key]')
  check(url.includes('/webhooks/wecom_kf/'), 'the callback URL to paste is shown: ' + url)
  check(token.length >= 3 && key.length === 43, 'the Token and EncodingAESKey to paste are shown')
  check(await admin.locator('[data-test=channel-setup]', { hasText: '回调配置' }).count() > 0, 'the URL is labelled as WeCom names it')
  check(await admin.locator('.setup-note', { hasText: '48 小时' }).count() > 0, 'the setup notes say the limits')
  await shot(admin, 'console-wecom-channel-created')
  await admin.setViewportSize({ width: 375, height: 800 })
  await shot(admin, 'console-wecom-channel-375')
  step(`wecom ${url.split('/').pop()} ${token} ${key}`)
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
  check(text.includes('回复窗口剩余') && text.includes('5/5'), 'the window counts down 48 hours and 5 replies: ' + text)
  await page.locator('[data-test=platform-limits] summary').click()
  check(await page.locator('[data-test=platform-limits]', { hasText: '48 小时内最多回复 5 条' }).isVisible(), 'the composer explains 微信客服’s rule')
  await shot(page, 'workbench-wecom-window')
  for (let i = 1; i <= 5; i++) {
    await page.fill('textarea[name=reply]', `第 ${i} 条回复 kf-${i}`)
    await page.getByRole('button', { name: '发送' }).click()
    await page.locator('.msg.out .text', { hasText: `kf-${i}` }).waitFor()
  }
  await page.locator('[data-test=reply-window].closed').waitFor()
  check(await page.locator('textarea[name=reply]').isDisabled(), 'the composer is disabled once the 5 replies are used')
  await page.setViewportSize({ width: 375, height: 800 })
  await shot(page, 'workbench-wecom-window-closed-375')
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '))
  check(dialogs.length === 0, 'no dialog fired: ' + JSON.stringify(dialogs))
  step('done')
})
