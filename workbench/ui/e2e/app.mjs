// Browser test of the app channel, driven by TestUIAppCustomer
// (e2e/browser/app_test.go): the admin creates it in the console (identity
// mode, the push webhook and its secret, a bad URL refused in Chinese) and
// reads the App Key and identity secret to hand to the app's developers;
// next to a conversation from
// the app channel the agent sees the app user's platform, OS, app version
// and model, the traits the app identified them with (customer text, shown
// inert), the registered push device and the last push result; at 375 px
// the customer is its own screen.
//
// env: KEFU_BASE, KEFU_EMAIL, KEFU_PASSWORD, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD,
// KEFU_PUSH_URL, KEFU_PUSH_SECRET, KEFU_CHROMIUM, KEFU_SHOTS; the harness is
// in browser.mjs.
import { step, recv, check, newPage, shot, login, setStatus, run, dialogs, pageErrors } from './browser.mjs'

await run('app-', async () => {
  const admin = await newPage('admin')
  await login(admin, '/console/channels', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await admin.click('button[data-new-channel=app]')
  await admin.locator('.channel-form', { hasText: '用户身份' }).waitFor()
  await admin.fill('input[name=channel-name]', '商城 App')
  await admin.selectOption('select[name=app_identity]', 'hmac')
  await admin.check('input[name=push_webhook_on]')
  await admin.fill('input[name=push_webhook_url]', 'push.example.com/kefu')
  await admin.fill('input[name=push_webhook_secret]', process.env.KEFU_PUSH_SECRET)
  await admin.click('.save-channel')
  await admin.locator('.form-errors', { hasText: '推送 Webhook 地址须以 http:// 或 https:// 开头' }).waitFor()
  await admin.fill('input[name=push_webhook_url]', process.env.KEFU_PUSH_URL)
  await admin.click('.save-channel')
  await admin.locator('[data-test=channel-setup]').waitFor()
  const key = await admin.inputValue('input[name=setup-ap_app_key]')
  const secret = await admin.inputValue('input[name=setup-ap_identity_secret]')
  check(key.startsWith('ch_') && secret.startsWith('asec_'), `the App Key and identity secret are shown: ${key} ${secret}`)
  const setupText = await admin.locator('[data-test=channel-setup]').textContent()
  check(setupText.includes('身份签名密钥（只放在服务器上）') && setupText.includes('HMAC-SHA256') && setupText.includes('24 小时'), 'the setup says how to sign users and how rotation works: ' + setupText)
  check(!(await admin.content()).includes(process.env.KEFU_PUSH_SECRET), 'the push secret is never shown again')
  await shot(admin, 'console-app-channel-created')
  await admin.setViewportSize({ width: 375, height: 800 })
  check(await admin.evaluate(() => document.documentElement.scrollWidth <= 375), 'the setup fits 375 px')
  await shot(admin, 'console-app-channel-375')
  step(`app ${key} ${secret}`)
  await admin.context().close()

  const page = await newPage('agent')
  await login(page, '/', process.env.KEFU_EMAIL, process.env.KEFU_PASSWORD)
  await page.locator('.conn[data-conn=open]').waitFor()
  await setStatus(page, '在线', 'online')
  step('online')

  const first = await recv()
  await page.locator('.list li', { hasText: first.text }).click()
  const facts = page.locator('.customer [data-test=app-facts]')
  await facts.locator('[data-test=app-platform]').waitFor()
  const text = await facts.textContent()
  for (const want of ['App 用户', 'iOS', 'iOS 18.1', '3.2.0', 'iPhone15,2', '用户属性', 'plan', 'pro', '已注册设备', first.tokenTail]) {
    check(text.includes(want), `the app facts show ${want}: ${text}`)
  }
  check(text.includes('App 不在前台') && text.includes('尚未推送'), 'no socket yet, nothing pushed yet: ' + text)
  check((await page.locator('.customer img').count()) === 0, 'a trait holding markup made no <img>')
  check(text.includes('<img src=x onerror=alert(1)>'), 'the markup trait is shown as text')
  await shot(page, 'workbench-app-customer')
  step('seen')

  // The agent's reply finds the app closed: one push, and the panel says so.
  const second = await recv()
  await page.fill('textarea[name=reply]', second.text)
  await page.getByRole('button', { name: '发送' }).click()
  await page.locator('.msg.out .text', { hasText: second.text }).waitFor()
  step('replied')
  await recv() // the push reached the company's push service
  await page.reload()
  await page.locator('.list li').first().click()
  await page.locator('.customer [data-test=app-last-push]', { hasText: '已送达 1/1 台设备' }).waitFor()
  await shot(page, 'workbench-app-pushed')

  await page.setViewportSize({ width: 375, height: 800 })
  await page.click('.m-customer')
  await page.locator('.custwrap [data-test=app-facts]').waitFor()
  check(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the app facts fit 375 px')
  await shot(page, 'workbench-app-customer-375')
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '))
  check(dialogs.length === 0, 'no dialog fired: ' + JSON.stringify(dialogs))
  step('done')
})
