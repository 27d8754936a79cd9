// Browser test of the Weibo channel form and the reply window, driven by
// TestUIWeiboChannel (weibo_test.go): the admin binds the account in the
// console (the form checks the UID, and the answer shows the callback URL
// to paste into Weibo, with Weibo's limits in Chinese); in the workbench,
// at phone width, the composer counts down the 48-hour window without a
// reply count, and after an @mention allows exactly one reply.
//
// env: KEFU_BASE, KEFU_EMAIL, KEFU_PASSWORD, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD,
// KEFU_WB_APPKEY, KEFU_WB_SECRET, KEFU_WB_TOKEN, KEFU_WB_UID, KEFU_CHROMIUM, KEFU_SHOTS;
// the harness is in browser.mjs.
import { step, recv, check, newPage, shot, login, setStatus, run, dialogs, pageErrors } from './browser.mjs'

await run('weibo-', async () => {
  const admin = await newPage('admin')
  await login(admin, '/console/channels', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await admin.click('button[data-new-channel=weibo]')
  await admin.locator('.weibo-limits', { hasText: '300' }).waitFor()
  await admin.fill('input[name=channel-name]', '官方微博')
  await admin.fill('input[name=app_key]', process.env.KEFU_WB_APPKEY)
  await admin.fill('input[name=app_secret]', process.env.KEFU_WB_SECRET)
  await admin.fill('input[name=access_token]', process.env.KEFU_WB_TOKEN)
  await admin.fill('input[name=uid]', 'weibo-account')
  await admin.click('.save-channel')
  await admin.locator('.form-errors', { hasText: 'UID' }).waitFor()
  await admin.fill('input[name=uid]', process.env.KEFU_WB_UID)
  await admin.click('.save-channel')
  await admin.locator('[data-test=channel-setup]').waitFor()
  const url = await admin.inputValue('input[name=setup-webhookUrl]')
  const setup = await admin.locator('[data-test=channel-setup]').textContent()
  check(url.includes('/webhooks/weibo/'), 'the callback URL is shown: ' + url)
  check(setup.includes('回调地址') && setup.includes('48 小时') && setup.includes('300 字'), 'the setup names the callback URL and Weibo limits: ' + setup)
  check(!setup.includes(process.env.KEFU_WB_SECRET) && !setup.includes(process.env.KEFU_WB_TOKEN), 'the secrets are not shown back')
  await shot(admin, 'console-weibo-channel-created')
  step(`weibo ${url.split('/').pop()}`)
  await admin.context().close()

  const page = await newPage('agent')
  await page.setViewportSize({ width: 375, height: 812 })
  await login(page, '/', process.env.KEFU_EMAIL, process.env.KEFU_PASSWORD)
  await page.locator('.conn[data-conn=open]').waitFor()
  await setStatus(page, '在线', 'online')
  step('online')

  const first = await recv()
  await page.locator('.list li', { hasText: first.text }).click()
  const win = page.locator('[data-test=reply-window]')
  await win.waitFor()
  let text = await win.textContent()
  check(/回复窗口剩余 4[78]:\d\d:\d\d/.test(text) && !text.includes('条'), 'the window counts down 48 h with no reply count: ' + text)
  const limits = await page.locator('[data-test=platform-limits]').textContent()
  check(limits.includes('48 小时') && limits.includes('300'), 'Weibo limits beside the composer: ' + limits)
  await shot(page, 'workbench-weibo-window')
  for (let i = 1; i <= 6; i++) {
    await page.fill('textarea[name=reply]', `第 ${i} 条回复 wb-${i}`)
    await page.getByRole('button', { name: '发送' }).click()
    await page.locator('.msg.out .text', { hasText: `wb-${i}` }).waitFor()
  }
  check(!(await page.locator('textarea[name=reply]').isDisabled()), 'six replies later the composer is still open')
  step('mention')
  const mention = await recv()
  await page.locator('.msg.in .text', { hasText: mention.text }).waitFor()
  await page.locator('[data-test=reply-window]', { hasText: '1/1' }).waitFor()
  await page.fill('textarea[name=reply]', '已收到您的提及 wb-mention')
  await page.getByRole('button', { name: '发送' }).click()
  await page.locator('[data-test=reply-window].closed').waitFor()
  check(await page.locator('textarea[name=reply]').isDisabled(), 'the composer is disabled after the one reply to an @mention')
  await shot(page, 'workbench-weibo-mention-answered')
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '))
  check(dialogs.length === 0, 'no dialog fired: ' + JSON.stringify(dialogs))
  step('done')
})
