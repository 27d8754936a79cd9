// Browser test of the website chat widget, driven by widget_test.go (repo
// root) against a running hub and a host test page on another origin. It
// talks to the Go test over stdio: it prints "@@ {json}" lines ({step, …})
// when the Go side should act or check, and reads one JSON line back after
// each step.
//
// argv[2]: JSON {hub, page, badPage, chatURL, channel, shots}
import { launch } from './launch.mjs'
import { createInterface } from 'node:readline'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const P = JSON.parse(process.argv[2] || process.env.KEFU_WIDGET_PARAMS || '{}')
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

async function step(name, data = {}) {
  console.log('@@ ' + JSON.stringify({ step: name, ...data }))
  const { value, done } = await lines.next()
  if (done) throw new Error('the Go test closed stdin')
  const r = JSON.parse(value)
  if (r.error) throw new Error(`Go side at step ${name}: ${r.error}`)
  return r
}
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what)
}

const browser = await launch()
const dialogs = []
const pageErrors = []

// open a page in a context; the init script keeps the page's websockets so
// the test can cut them, and a switch that makes reconnects fail.
async function open(ctx, url) {
  const page = await ctx.newPage()
  page.setDefaultTimeout(15000 * (Number(process.env.KEFU_SLOW) || 1))
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    d.dismiss().catch(() => {})
  })
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket|ERR_|Failed to load|403/.test(m.text())) console.error('console:', m.text())
  })
  if (url) await page.goto(url)
  return page
}
async function context(opts = {}) {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 }, ...opts })
  await ctx.addInitScript(() => {
    const Native = window.WebSocket
    window.__sockets = []
    window.__blockWS = false
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        super(window.__blockWS ? 'ws://127.0.0.1:9/' : url, protocols)
        window.__sockets.push(this)
      }
    }
  })
  return ctx
}
async function shot(page, name) {
  if (!P.shots) return
  mkdirSync(P.shots, { recursive: true })
  await page.screenshot({ path: join(P.shots, `widget-${name}.png`) })
}
const W = (page, sel) => page.locator('#kefu-widget ' + sel) // CSS locators pierce open shadow roots
const visitorOf = (page) => page.evaluate((ch) => JSON.parse(localStorage.getItem(`kefu:${ch}:visitor`) || 'null'), P.channel)
// the chat's visitor and agent messages, in display order
const shown = (page) =>
  page.evaluate(() =>
    Array.from(document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.ms .m')).map((e) => ({
      who: e.classList.contains('me') ? 'contact' : e.classList.contains('ag') ? 'agent' : 'system',
      text: (e.querySelector('.b .t') || { textContent: '' }).textContent,
      id: e.dataset.id || '',
      state: e.dataset.state,
    })),
  )
async function send(page, text) {
  const ta = W(page, '.cp textarea')
  await ta.fill(text)
  await ta.press('Enter')
}
const msg = (page, who, text) => W(page, `.ms .m.${who}`).filter({ hasText: text })

try {
  // 1. Nobody online: the launcher says 留言, no automatic invite, the
  //    leave-a-message form validates and becomes a ticket.
  const ctx = await context()
  let page = await open(ctx, P.page)
  const launcher = W(page, 'button.l')
  await launcher.waitFor()
  await W(page, 'button.l[data-state=offline]').waitFor()
  check((await launcher.textContent()).includes('留言'), 'offline launcher label 留言')
  await page.waitForFunction(() => window.__kefuReady === true) // Kefu.q.push(['on', 'ready', fn]) before the loader ran
  check(await page.evaluate(() => getComputedStyle(document.body).margin === '8px'), 'host page styles untouched')
  await page.waitForTimeout(1800) // the invite rule (after 1 s) must not fire while offline
  check((await W(page, '.iv').count()) === 0, 'no automatic invite while offline')
  await shot(page, '01-offline-launcher')
  await launcher.click()
  const form = W(page, 'form.fm')
  await form.waitFor()
  await W(page, 'form.fm button[type=submit]').click()
  check((await W(page, 'form.fm .e').filter({ hasText: '必填' }).count()) >= 1, 'required fields flagged')
  await W(page, 'form.fm [name=name]').fill('王先生')
  await W(page, 'form.fm [name=phone]').fill('abc')
  await W(page, 'form.fm [name=message]').fill('web-offline 请问企业版多少钱？')
  await W(page, 'form.fm button[type=submit]').click()
  await W(page, 'form.fm .e').filter({ hasText: '电话格式不正确' }).waitFor()
  await W(page, 'form.fm [name=phone]').fill('13800138000')
  await W(page, 'form.fm button[type=submit]').click()
  await W(page, 'form.fm .ok').waitFor()
  await shot(page, '02-offline-form-sent')
  await step('left', { visitor: await visitorOf(page) })
  await W(page, '.hd .cl').click()

  // 2. An agent comes online: the launcher follows live; the automatic
  //    invite (due since 1 s) shows and is declined; not again after a reload.
  await step('agent-online')
  await page.waitForFunction(() => document.getElementById('kefu-widget').shadowRoot.querySelector('.l').dataset.state === 'online', null, { timeout: 20000 })
  check((await launcher.textContent()).includes('在线咨询'), 'online launcher label 在线咨询')
  const auto = W(page, '.iv[data-invite=auto]')
  await auto.waitFor()
  await shot(page, '03-auto-invite')
  await auto.getByRole('button', { name: '稍后再说' }).click()
  await auto.waitFor({ state: 'detached' })
  await page.reload()
  await W(page, 'button.l[data-state=online]').waitFor()
  await page.waitForTimeout(2000)
  check((await W(page, '.iv').count()) === 0, 'no second automatic invite (max_times 1, declined)')

  // manual invite from the agent API, declined
  await step('invite', { visitor: await visitorOf(page) })
  const manual = W(page, '.iv[data-invite=manual]')
  await manual.waitFor()
  check((await manual.textContent()).includes('web-invite'), 'manual invite text')
  await shot(page, '04-manual-invite')
  await manual.getByRole('button', { name: '稍后再说' }).click()
  await manual.waitFor({ state: 'detached' })

  // 3. Chat: group chooser, a message reaches the agent, the reply appears.
  await launcher.click()
  await W(page, '.p').waitFor()
  check((await W(page, '.hd .ti').textContent()) === '在线客服', 'the channel title in the header')
  await page.evaluate(() => window.Kefu.close())
  await W(page, '.p').waitFor({ state: 'hidden' })
  await page.evaluate(() => window.Kefu.open())
  await W(page, '.p').waitFor()
  const chooser = W(page, '.gp')
  await chooser.waitFor()
  await chooser.getByRole('button', { name: '售前' }).click()
  await send(page, 'web-first 你好，我想咨询')
  await page.waitForFunction(() => {
    const m = document.getElementById('kefu-widget').shadowRoot.querySelector('.ms .m.me')
    return m && m.dataset.state === 'sent'
  })
  const { conv } = await step('sent')
  await msg(page, 'ag', 'web-reply').waitFor()
  check(await chooser.isHidden(), 'group chooser gone once chatting')
  await shot(page, '05-chat')

  // typing preview
  await W(page, '.cp textarea').pressSequentially('web-typing', { delay: 30 })
  await step('typing')
  await W(page, '.cp textarea').fill('')

  // hostile text stays text, fires nothing
  const evil = '<img src=x onerror=alert(1)> web-xss'
  await send(page, evil)
  await msg(page, 'me', 'web-xss').waitFor()
  await step('xss')
  await msg(page, 'ag', 'web-xss-reply').waitFor()
  check((await msg(page, 'me', 'web-xss').locator('.t').textContent()) === evil, 'visitor text shown verbatim')
  check((await W(page, '.ms img').count()) === 0, 'no <img> made from message text')

  // uploads: a type the channel refuses is stopped in the page; an image goes through
  const fileInput = W(page, '.cp input[type=file]')
  await fileInput.setInputFiles({ name: 'setup.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') })
  await W(page, '.ms .nt.er').filter({ hasText: '不支持此文件类型' }).waitFor()
  // … a file whose content is not what its name says is refused by the hub (content sniffed): shown as failed
  await fileInput.setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0]) })
  await W(page, '.ms .m.me[data-state=failed]').filter({ hasText: '不支持此文件类型' }).waitFor()
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64')
  await fileInput.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png })
  await page.waitForFunction(() => {
    const img = document.getElementById('kefu-widget').shadowRoot.querySelector('.ms .m.me[data-state=sent] img')
    return img && img.naturalWidth === 1 && /\/files\//.test(img.src)
  })

  // 4. Network cut: sent messages wait in the outbox, the agent's reply sent
  //    meanwhile arrives after the reconnect; nothing lost or doubled.
  await ctx.setOffline(true)
  await page.evaluate(() => {
    window.__blockWS = true
    window.__sockets.forEach((s) => s.close())
  })
  await W(page, '.cn').filter({ hasText: '重连' }).waitFor()
  await send(page, 'web-cut-1')
  await send(page, 'web-cut-2')
  await page.waitForTimeout(300)
  check((await msg(page, 'me', 'web-cut-1').getAttribute('data-state')) === 'pending', 'message pending while cut')
  await shot(page, '06-cut')
  await step('cut')
  await ctx.setOffline(false)
  await page.evaluate(() => (window.__blockWS = false))
  await msg(page, 'ag', 'web-cut-reply').waitFor({ timeout: 30000 })
  await page.waitForFunction(() => {
    const ms = Array.from(document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.ms .m.me'))
    return ms.length > 0 && ms.every((m) => m.dataset.state !== 'pending')
  })
  await W(page, '.cn').waitFor({ state: 'hidden' })
  await step('count', { conv, shown: await shown(page) })

  // 5. Reload with an unacknowledged message (its ack was lost): the
  //    outbox resends it with the same client_id; it is stored and shown once.
  await page.evaluate((ch) => {
    const m = Array.from(document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.ms .m.me')).find((e) => e.textContent.includes('web-cut-2'))
    const f = { type: 'message', client_id: m.dataset.cid, text: 'web-cut-2' }
    localStorage.setItem(`kefu:${ch}:outbox`, JSON.stringify([{ f, m: { text: 'web-cut-2' } }]))
  }, P.channel)
  await page.reload()
  await W(page, '.p').waitFor() // still open after the reload
  await msg(page, 'ag', 'web-cut-reply').waitFor()
  await page.waitForFunction((ch) => localStorage.getItem(`kefu:${ch}:outbox`) === '[]', P.channel)
  await page.waitForTimeout(500)
  check((await msg(page, 'me', 'web-cut-2').count()) === 1, 'resent message shown once')
  await step('count', { conv, shown: await shown(page) })

  // second tab of the same visitor: same conversation, both see new messages once
  const tab2 = await open(ctx, P.page)
  await W(tab2, 'button.l[data-state=online]').waitFor()
  await tab2.evaluate(() => window.Kefu.open())
  await msg(tab2, 'ag', 'web-cut-reply').waitFor()
  await send(tab2, 'web-tab2')
  await msg(page, 'me', 'web-tab2').waitFor()
  await page.waitForTimeout(500)
  check((await msg(page, 'me', 'web-tab2').count()) === 1 && (await msg(tab2, 'me', 'web-tab2').count()) === 1, 'second tab message shown once in each tab')
  await step('count', { conv, shown: await shown(page) })
  await tab2.close()

  // 6. The agent closes: the rating form, 5 stars and a comment.
  await step('close')
  const rt = W(page, '.rt')
  await rt.waitFor()
  await rt.locator('button[data-score="5"]').click()
  await rt.locator('textarea').fill('web-rating 很满意')
  await rt.getByRole('button', { name: '提交' }).click()
  await rt.filter({ hasText: '感谢' }).waitFor()
  await shot(page, '07-rated')
  await step('rated')

  // proactive chat from the agent: the closed widget opens by itself; Kefu.on('message') fires
  await page.evaluate(() => {
    window.__agentSaid = []
    window.Kefu.on('message', (m) => window.__agentSaid.push(m.text))
    window.Kefu.close()
  })
  await W(page, '.p').waitFor({ state: 'hidden' })
  await step('proactive')
  await msg(page, 'ag', 'web-proactive').waitFor()
  check(await W(page, '.p').isVisible(), 'the chat opened for the agent message')
  check(await page.evaluate(() => window.__agentSaid.some((t) => t.includes('web-proactive'))), "Kefu.on('message') fired")
  await step('proactive-shown')
  await ctx.close()

  // 7. The direct chat page on a phone.
  const mob = await context({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true })
  const mp = await open(mob, P.chatURL + '?lang=en')
  const panel = W(mp, '.p')
  await panel.waitFor()
  await W(mp, '.hd .ti').filter({ hasText: '在线客服' }).waitFor() // the channel's own title (config fetched)
  check((await W(mp, '.cp textarea').getAttribute('placeholder')) === 'Type a message, Enter to send', 'English UI with lang=en')
  const box = await panel.boundingBox()
  check(box && box.width === 375 && box.height === 667, `chat fills the phone screen (${JSON.stringify(box)})`)
  check((await W(mp, 'button.l').isHidden()) && (await W(mp, '.hd .cl').count()) === 0, 'no launcher or close button on the direct page')
  await W(mp, '.gp button').filter({ hasText: '售前' }).waitFor() // the group chooser from the config
  await send(mp, 'web-mobile 手机上咨询')
  await mp.waitForFunction(() => document.getElementById('kefu-widget').shadowRoot.querySelector('.ms .m.me')?.dataset.state === 'sent')
  await shot(mp, '08-direct-mobile')
  await step('mobile', { visitor: await visitorOf(mp) })
  await mob.close()

  // 8. A site that is not allowed: no socket, no visitor; the launcher says so.
  const bad = await context()
  const bp = await open(bad, P.badPage)
  await W(bp, 'button.l[data-state=error]').waitFor()
  await bp.waitForTimeout(1500)
  check((await visitorOf(bp)) === null, 'no visitor id issued to a foreign site')
  await shot(bp, '09-refused')
  await step('refused')
  await bad.close()

  // 9. Kefu.identify (queued before the loader ran) on a channel that requires it.
  const idc = await context()
  const ip = await open(idc, P.memberPage)
  await W(ip, 'button.l[data-state=online]').waitFor()
  await ip.evaluate(() => window.Kefu.open())
  await send(ip, 'web-identified 我是会员')
  await ip.waitForFunction(() => document.getElementById('kefu-widget').shadowRoot.querySelector('.ms .m.me')?.dataset.state === 'sent')
  await step('identified')
  const ib = await open(idc, P.memberBadPage)
  await W(ib, 'button.l[data-state=error]').waitFor()
  await step('identity-refused')
  await idc.close()

  check(dialogs.length === 0, 'no dialog fired: ' + dialogs.join(', '))
  check(pageErrors.length === 0, 'no page errors: ' + pageErrors.join(', '))
  await step('done')
} catch (e) {
  // keep what the pages looked like when it failed
  for (const [i, p] of browser.contexts().flatMap((c) => c.pages()).entries()) await shot(p, `failure-${i}`).catch(() => {})
  throw e
} finally {
  await browser.close()
}
