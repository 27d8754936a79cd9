// Browser test of the WeChat channel form and the reply window, driven by
// TestUIWechatReplyWindow (ui_test.go): the admin binds the account in the
// console; in the workbench the composer counts down the 48-hour
// window and the 5 replies it allows, and is disabled, saying why, once the
// quota is used.
//
// env: KEFU_BASE, KEFU_EMAIL, KEFU_PASSWORD, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD,
// KEFU_WX_APPID, KEFU_WX_SECRET, KEFU_CHROMIUM, KEFU_SHOTS; the harness
// shared with workbench.mjs is in browser.mjs.
import { step, recv, check, newPage, shot, login, setStatus, run, dialogs, pageErrors } from './browser.mjs'

await run('wechat-', async () => {
  // The admin binds the WeChat account in the console: the form checks the
  // AppID, and the answer shows what to paste into mp.weixin.qq.com.
  const admin = await newPage('admin')
  await login(admin, '/console/channels', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await admin.click('button[data-new-channel=wechat]')
  await admin.fill('input[name=channel-name]', '公众号')
  await admin.fill('input[name=app_id]', 'wx123')
  await admin.fill('input[name=app_secret]', process.env.KEFU_WX_SECRET)
  await admin.click('.save-channel')
  await admin.locator('.form-errors', { hasText: 'AppID' }).waitFor()
  await admin.fill('input[name=app_id]', process.env.KEFU_WX_APPID)
  await admin.click('.save-channel')
  await admin.locator('[data-test=channel-setup]').waitFor()
  const url = await admin.inputValue('input[name=setup-webhookUrl]')
  const token = await admin.inputValue('input[name=setup-token]')
  const aes = await admin.inputValue('input[name=setup-encoding_aes_key]')
  check(url.includes('/webhooks/wechat/') && token && aes.length === 43, 'the WeChat setup values are shown')
  await shot(admin, 'console-wechat-channel-created')
  step(`wechat ${url.split('/').pop()} ${token} ${aes}`)
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
  check(/回复窗口剩余 4[78]:\d\d:\d\d/.test(text) && text.includes('5/5'), 'the window counts down 48 h and 5 replies: ' + text)
  await shot(page, 'workbench-wechat-window')
  for (let i = 1; i <= 5; i++) {
    await page.fill('textarea[name=reply]', `第 ${i} 条回复 wx-${i}`)
    await page.getByRole('button', { name: '发送' }).click()
    await page.locator('.msg.out .text', { hasText: `wx-${i}` }).waitFor()
  }
  await page.locator('[data-test=reply-window].closed').waitFor()
  check(await page.locator('textarea[name=reply]').isDisabled(), 'the composer is disabled once the quota is used')
  const why = await page.locator('[data-test=reply-window]').textContent()
  check(why.includes('条数') || why.includes('5'), 'it says why: ' + why)
  await shot(page, 'workbench-wechat-window-closed')
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '))
  check(dialogs.length === 0, 'no dialog fired: ' + JSON.stringify(dialogs))
  step('done')
})
