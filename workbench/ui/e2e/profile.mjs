// Browser test of the agent's own settings (个人设置), driven by
// TestUIAgentProfile (e2e/browser): the profile loads, is changed and saved
// (it is there after a reload), a notice switch saves at once, a personal
// greeting is switched on; an avatar is refused (a text file, HTML named
// .png), then set and shown; the password form refuses a wrong current
// password and a mistyped confirmation in Chinese, then changes it; the
// page at 375 px.
//
// env: KEFU_BASE, KEFU_AGENT_EMAIL, KEFU_AGENT_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, check, newPage, shot, login, run, pageErrors } from './browser.mjs'

const email = process.env.KEFU_AGENT_EMAIL
const password = process.env.KEFU_AGENT_PASSWORD

await run('profile-', async () => {
  const page = await newPage('agent')
  await login(page, '/settings', email, password)
  const form = page.locator('[data-form=profile]')
  await form.locator('legend', { hasText: '个人信息' }).waitFor()
  check((await form.locator('[data-field=email]').textContent()) === email, 'the account shown is the agent’s')

  await form.locator('input[name=name]').fill('小美')
  await form.locator('input[name=phone]').fill('138 0000 0000')
  await form.locator('textarea[name=signature]').fill('售后服务部 小美')
  await form.locator('input[name=greeting_on]').check()
  await form.locator('input[name=greeting_after]').fill('2')
  await form.locator('input[name=greeting_text]').fill('您好，我是{name}，请问有什么可以帮您？')
  await form.getByRole('button', { name: '保存' }).click()
  await page.getByText('已保存').first().waitFor()
  await Promise.all([ // the switch saves at once
    page.waitForResponse((r) => r.url().endsWith('/api/v1/me/profile') && r.request().method() === 'PUT'),
    form.locator('input[name=sound_assigned]').uncheck(),
  ])
  await shot(page, 'profile-saved')

  // The avatar: a text file is refused in Chinese before it is sent, HTML
  // named .png by the hub; a PNG shows at once, served by the hub.
  const face = form.locator('[data-field=avatar]')
  const pick = face.locator('input[name=avatar]')
  await pick.setInputFiles({ name: 'x.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') })
  await face.locator('[data-error=avatar]', { hasText: '头像只能是' }).waitFor()
  await pick.setInputFiles({ name: 'x.png', mimeType: 'image/png', buffer: Buffer.from('<html><script>alert(1)</script>') })
  await face.locator('[data-error=avatar]').filter({ hasNotText: '头像只能是' }).waitFor()
  check((await face.locator('img').count()) === 0, 'a refused upload shows as the avatar')
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
  await pick.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') })
  await face.locator('img').waitFor()
  await page.waitForFunction(() => document.querySelector('[data-field=avatar] img')?.naturalWidth > 0)
  check((await face.locator('[data-error=avatar]').count()) === 0, 'the error stays after a good upload')
  await page.locator('.who img.avatar').waitFor() // the header follows at once
  await shot(page, 'profile-avatar')

  await page.reload()
  await form.locator('input[name=name]').waitFor()
  check((await form.locator('input[name=name]').inputValue()) === '小美', 'the name after a reload')
  check((await form.locator('textarea[name=signature]').inputValue()) === '售后服务部 小美', 'the signature after a reload')
  check(await form.locator('input[name=greeting_on]').isChecked(), 'the greeting stays on')
  check(!(await form.locator('input[name=sound_assigned]').isChecked()), 'the switched-off tone stays off')

  const pw = page.locator('[data-form=password]')
  await pw.locator('input[name=current_password]').fill('not-my-password')
  await pw.locator('input[name=new_password]').fill('brand-new-pass')
  await pw.locator('input[name=new_password_again]').fill('brand-new-pass')
  await pw.getByRole('button', { name: '修改密码' }).click()
  await pw.locator('[data-error=password]', { hasText: '当前密码不正确' }).waitFor()
  await shot(page, 'profile-wrong-password')
  await pw.locator('input[name=current_password]').fill(password)
  await pw.locator('input[name=new_password_again]').fill('brand-new-pasS')
  await pw.getByRole('button', { name: '修改密码' }).click()
  await pw.locator('[data-error=password]', { hasText: '两次输入的新密码不一致' }).waitFor()
  await pw.locator('input[name=new_password_again]').fill('brand-new-pass')
  await pw.getByRole('button', { name: '修改密码' }).click()
  await page.getByText('密码已修改').first().waitFor()

  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/settings', email, 'brand-new-pass')
  await phone.locator('[data-form=profile] input[name=name]').waitFor()
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the settings page is ${wide}px wide at 375`)
  await shot(phone, 'profile-375')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
