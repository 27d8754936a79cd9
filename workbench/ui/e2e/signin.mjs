// Browser test of locked sign-ins and the console's session list, driven by
// TestUISignInLock (e2e/browser): wrong passwords on a phone-sized login
// page end in the lock message (Chinese first); the admin's open workbench
// shows the lock notice; in the console the admin lists the agent's
// sessions and ends one.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_EMAIL (the
// agent), KEFU_CHROMIUM, KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors } from './browser.mjs'

await run('signin-', async () => {
  const admin = await newPage('admin')
  await login(admin, '/', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await admin.locator('.conn[data-conn=open]').waitFor()

  // ---- Someone guesses the agent's password on a phone.
  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  const email = process.env.KEFU_EMAIL
  const alert = phone.locator('.login-box [role=alert]')
  for (let i = 1; i <= 5; i++) {
    await login(phone, '/', email, 'wrong-password-' + i)
    await alert.waitFor()
    if (i < 5) check(!(await alert.textContent()).includes('锁定'), `attempt ${i} already says locked`)
  }
  await phone.locator('.login-box [role=alert]', { hasText: '账号已临时锁定' }).waitFor()
  const msg = await alert.textContent()
  check(/请 \d+ (分钟|秒)后再试/.test(msg), 'the lock message says how long: ' + msg)
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the login page is ${wide}px wide at 375`)
  await shot(phone, 'signin-locked-375')
  // the right password is refused while the lock lasts, with the same message
  await login(phone, '/', email, 'agent-pass-1')
  await phone.locator('.login-box [role=alert]', { hasText: '账号已临时锁定' }).waitFor()
  check(!(await phone.locator('.topbar').count()), 'the locked agent got in')

  // ---- The admin's workbench tells them, as text.
  const note = admin.locator('[data-test=lock-notice]', { hasText: email })
  await note.waitFor()
  check((await note.textContent()).includes('登录失败次数过多'), 'the notice says why')
  await shot(admin, 'signin-notice')
  await note.getByRole('button', { name: '知道了' }).click()
  await note.waitFor({ state: 'detached' })

  // ---- The console lists the agent's session (opened before the lock) and ends it.
  await admin.goto(process.env.KEFU_BASE + '/console/agents')
  const row = admin.locator(`tr[data-agent="${email}"]`)
  await row.locator('button.sessions-btn').click()
  const list = admin.locator('[data-test=agent-sessions]')
  await list.locator('tr[data-session]').first().waitFor()
  check((await list.locator('tr[data-session]').count()) === 1, 'one session listed')
  check((await list.textContent()).includes('signin-test-agent'), 'the session shows its browser')
  await shot(admin, 'signin-sessions')
  await list.locator('button.end-session').click()
  await list.locator('.empty', { hasText: '当前没有登录中的会话' }).waitFor()
  step('ended')
  await recv()

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
