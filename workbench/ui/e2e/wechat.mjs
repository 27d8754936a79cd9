// Browser test of the WeChat channel form and the reply window, driven by
// TestUIWechatReplyWindow (ui_test.go): the admin binds the account in the
// console; in the workbench the composer counts down the 48-hour
// window and the 5 replies it allows, and is disabled, saying why, once the
// quota is used.
//
// env: KEFU_BASE, KEFU_EMAIL, KEFU_PASSWORD, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD,
// KEFU_WX_APPID, KEFU_WX_SECRET, KEFU_CHROMIUM, KEFU_SHOTS.
import { chromium } from 'playwright-core'
import { createInterface } from 'node:readline'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const base = process.env.KEFU_BASE
const shots = process.env.KEFU_SHOTS
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const step = (name) => console.log('@@ ' + name)
async function recv() {
  const { value, done } = await lines.next()
  if (done) throw new Error('the Go test closed stdin')
  return JSON.parse(value)
}
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}

const browser = await chromium.launch({
  executablePath: process.env.KEFU_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
})
const pageErrors = []
try {
  // The admin binds the WeChat account in the console: the form checks the
  // AppID, and the answer shows what to paste into mp.weixin.qq.com.
  const actx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1360, height: 820 } })
  const admin = await actx.newPage()
  admin.setDefaultTimeout(15000)
  admin.on('pageerror', (e) => pageErrors.push(String(e)))
  await admin.goto(base + '/console/channels')
  await admin.fill('input[name=email]', process.env.KEFU_ADMIN_EMAIL)
  await admin.fill('input[name=password]', process.env.KEFU_ADMIN_PASSWORD)
  await admin.getByRole('button', { name: '登录' }).click()
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
  if (shots) {
    mkdirSync(shots, { recursive: true })
    await admin.screenshot({ path: join(shots, 'console-wechat-channel-created.png') })
  }
  step(`wechat ${url.split('/').pop()} ${token} ${aes}`)
  await actx.close()

  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1360, height: 820 } })
  const page = await ctx.newPage()
  page.setDefaultTimeout(15000)
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  const shot = async (name) => {
    if (!shots) return
    mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: join(shots, name + '.png') })
  }
  await page.goto(base + '/')
  await page.fill('input[name=email]', process.env.KEFU_EMAIL)
  await page.fill('input[name=password]', process.env.KEFU_PASSWORD)
  await page.getByRole('button', { name: '登录' }).click()
  await page.locator('.conn[data-conn=open]').waitFor()
  await page.getByRole('button', { name: '在线' }).click()
  await page.locator('.status-switch .st.online.active').waitFor()
  step('online')

  const first = await recv()
  await page.locator('.list li', { hasText: first.text }).click()
  const win = page.locator('[data-test=reply-window]')
  await win.waitFor()
  const text = await win.textContent()
  check(/回复窗口剩余 4[78]:\d\d:\d\d/.test(text) && text.includes('5/5'), 'the window counts down 48 h and 5 replies: ' + text)
  await shot('workbench-wechat-window')
  for (let i = 1; i <= 5; i++) {
    await page.fill('textarea[name=reply]', `第 ${i} 条回复 wx-${i}`)
    await page.getByRole('button', { name: '发送' }).click()
    await page.locator('.msg.out .text', { hasText: `wx-${i}` }).waitFor()
  }
  await page.locator('[data-test=reply-window].closed').waitFor()
  check(await page.locator('textarea[name=reply]').isDisabled(), 'the composer is disabled once the quota is used')
  const why = await page.locator('[data-test=reply-window]').textContent()
  check(why.includes('条数') || why.includes('5'), 'it says why: ' + why)
  await shot('workbench-wechat-window-closed')
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join('; '))
  step('done')
} catch (e) {
  const page = browser.contexts()[0]?.pages()[0]
  if (page) {
    console.error('page errors shown:', await page.locator('.error').allTextContents().catch(() => []))
    if (shots) await page.screenshot({ path: join(shots, 'zz-failure-wechat.png') }).catch(() => {})
  }
  throw e
} finally {
  await browser.close()
}
