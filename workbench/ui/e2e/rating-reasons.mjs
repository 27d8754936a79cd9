// Browser test of rating reasons (满意度原因), driven by
// TestUIRatingReasons (e2e/browser): a visitor on the direct chat page at
// 375 px sees the agent's avatar in the header and beside their reply, is
// asked to rate when the agent closes, picks the level 不满意,
// ticks two of its reasons (one ticked and unticked again), writes a
// comment and sends it; the agent sees the level's reasons on the open
// conversation and in the history.
//
// env: KEFU_BASE, KEFU_CHAT (the chat page's path), KEFU_AGENT_EMAIL,
// KEFU_AGENT_PASSWORD, KEFU_CHROMIUM, KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors, base } from './browser.mjs'

await run('rating-reasons-', async () => {
  const wb = await newPage('agent')
  await login(wb, '/', process.env.KEFU_AGENT_EMAIL, process.env.KEFU_AGENT_PASSWORD)
  await wb.locator('.conn[data-conn=open]').waitFor()

  const v = await newPage('visitor')
  await v.setViewportSize({ width: 375, height: 667 })
  await v.goto(base + process.env.KEFU_CHAT)
  const W = (sel) => v.locator('#kefu-widget ' + sel)
  await W('.cp textarea').fill('我的快递三天了还没到')
  await W('.cp textarea').press('Enter')
  await wb.locator('.list li', { hasText: '我的快递三天了还没到' }).click()
  await wb.locator('.msg.in .text', { hasText: '我的快递三天了还没到' }).waitFor()
  step('said')
  await recv() // the agent replied
  // The agent's avatar: in the header while they serve, beside their reply.
  const loaded = (sel) => v.waitForFunction((s) => {
    const i = document.getElementById('kefu-widget').shadowRoot.querySelector(s)
    return i && !i.hidden && i.complete && i.naturalWidth > 0
  }, sel)
  await W('.ms .m.ag').filter({ hasText: '马上为您查询' }).waitFor()
  await loaded('.hd img.av')
  await loaded('.ms .m.ag .n img.av')
  await shot(v, 'widget-agent-avatar-375')
  step('avatar-seen')
  await recv() // the agent closed the conversation

  // The tenant's levels, by label; a level's reasons once it is picked.
  const rt = W('.rt')
  await rt.waitFor()
  const labels = await rt.locator('.st button').allTextContents()
  check(labels.join('|') === '非常满意|满意|一般|不满意|非常不满意', 'the levels offered: ' + labels.join('|'))
  check((await rt.locator('.rs button').count()) === 0, 'reasons before a level is picked')
  await rt.locator('.st button[data-score="5"]').click()
  check((await rt.locator('.rs button').count()) === 0, '非常满意 has no reasons to offer')
  await rt.locator('.st button[data-score="2"]').click()
  const chip = (name) => rt.locator('.rs button', { hasText: name })
  await chip('等待时间长').waitFor()
  check((await rt.locator('.rs button').allTextContents()).join('|') === '等待时间长|问题未解决|服务态度差', 'the reasons of 不满意')
  await chip('等待时间长').click()
  await chip('服务态度差').click()
  await chip('问题未解决').click()
  await chip('服务态度差').click() // changed their mind
  check((await chip('等待时间长').getAttribute('aria-pressed')) === 'true', '等待时间长 ticked')
  check((await chip('服务态度差').getAttribute('aria-pressed')) === 'false', '服务态度差 unticked again')
  await rt.locator('textarea').fill('<b>快递</b>太慢')
  const wide = await v.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the chat page is ${wide}px wide at 375`)
  await shot(v, 'rating-reasons-375')
  await rt.getByRole('button', { name: '提交' }).click()
  await rt.filter({ hasText: '感谢' }).waitFor()
  await shot(v, 'rating-reasons-sent-375')
  step('rated')
  await recv()

  // The agent: on the conversation at once, and in the history.
  await wb.locator('[data-test=rating-reasons]', { hasText: '等待时间长、问题未解决' }).waitFor()
  await shot(wb, 'rating-reasons-agent')
  await wb.locator('[data-nav=history]').click()
  await wb.locator('.page tbody tr').first().click()
  const hr = wb.locator('[data-test=history-rating]')
  await hr.waitFor()
  const text = await hr.textContent()
  check(text.includes('等待时间长、问题未解决') && text.includes('<b>快递</b>太慢'), 'the history shows ' + text)
  check((await wb.locator('[data-test=history-rating] b').count()) === 0, 'the comment ran as markup')
  await shot(wb, 'rating-reasons-history')
  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
