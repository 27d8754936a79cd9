// Browser test of the agents' faces (头像), driven by TestUIAgentFaces
// (e2e/browser): the admin's workbench shows, on the conversation list, the
// avatar of the agent holding each conversation, and beside each reply of a
// conversation handed 小王 → 小李 → 小赵 its writer's: 小王's picture,
// 小李's initials (no avatar), 小赵's initials (their picture fails to
// load); the same in the history; at desktop width and at 375 px. Then a
// visitor whose agent's avatar fails to load sees no broken picture in
// the widget, only the agent's name.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHAT (the
// chat page's path), KEFU_CHROMIUM, KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors, base } from './browser.mjs'

const { broken } = await recv() // the agent whose avatar fails to load

// loaded: the avatar picture is shown (not a broken image)
const loaded = (loc) => loc.evaluate((i) => i.complete && i.naturalWidth > 0)

await run('faces-', async () => {
  const wb = await newPage('admin')
  await wb.route((u) => u.pathname === '/api/v1/avatars/' + broken, (r) => r.fulfill({ status: 404, body: '' }))
  await login(wb, '/', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await wb.click('button[data-view=all]')

  // The list: each conversation shows the face of the agent holding it.
  const row = (text) => wb.locator('.list li', { hasText: text })
  const held = row('发票什么时候开').locator('.row2 .avatar.assignee')
  await wb.waitForFunction(() => {
    const li = [...document.querySelectorAll('.list li')].find((l) => l.textContent.includes('发票什么时候开'))
    const i = li && li.querySelector('.row2 img.avatar.assignee')
    return i && i.complete && i.naturalWidth > 0
  })
  check((await held.getAttribute('title')) === '小王', '小王 is named on the face: ' + (await held.getAttribute('title')))
  const fallback = row('小赵为您跟进').locator('.row2 .avatar.assignee')
  await fallback.filter({ hasText: '小赵' }).waitFor() // their picture failed: initials
  check((await fallback.evaluate((e) => e.tagName)) === 'SPAN', "小赵's face is a broken picture")

  // The bubbles: each agent's reply with that agent's face.
  await row('小赵为您跟进').click()
  const face = (text) => wb.locator('.pane .msg', { hasText: text }).locator('.meta .avatar')
  await wb.locator('.pane .msg', { hasText: '您好，我是小王' }).waitFor()
  await wb.waitForFunction(() => {
    const m = [...document.querySelectorAll('.pane .msg')].find((x) => x.textContent.includes('您好，我是小王'))
    const i = m && m.querySelector('.meta img.avatar')
    return i && i.complete && i.naturalWidth > 0
  })
  check(await loaded(face('您好，我是小王')), "小王's picture beside their reply")
  await face('我是小李').filter({ hasText: '小李' }).waitFor()
  await face('小赵为您跟进').filter({ hasText: '小赵' }).waitFor()
  check((await face('小赵为您跟进').evaluate((e) => e.tagName)) === 'SPAN', "小赵's reply shows a broken picture")
  await shot(wb, 'faces-workbench')

  await wb.setViewportSize({ width: 375, height: 760 })
  await face('您好，我是小王').waitFor()
  check(await wb.evaluate(() => document.documentElement.scrollWidth <= 375), 'no sideways scrolling at 375 px')
  await shot(wb, 'faces-bubbles-375')
  await wb.locator('.pane-head .m-back').click()
  await row('发票什么时候开').waitFor()
  check(await loaded(held), "小王's face on the list at 375 px")
  await shot(wb, 'faces-list-375')
  await wb.setViewportSize({ width: 1360, height: 820 })

  // The history: the same faces beside the replies.
  await wb.click('a[data-nav=history]')
  await wb.click('.filters button[type=submit]')
  await wb.locator('.grid tbody tr', { hasText: '小赵' }).first().click()
  const hface = (text) => wb.locator('.detail .msg', { hasText: text }).locator('.meta .avatar')
  await hface('您好，我是小王').waitFor()
  await wb.waitForFunction(() => {
    const m = [...document.querySelectorAll('.detail .msg')].find((x) => x.textContent.includes('您好，我是小王'))
    const i = m && m.querySelector('.meta img.avatar')
    return i && i.complete && i.naturalWidth > 0
  })
  await hface('我是小李').filter({ hasText: '小李' }).waitFor()
  await hface('小赵为您跟进').filter({ hasText: '小赵' }).waitFor()
  await shot(wb, 'faces-history')

  // The widget: the agent's avatar fails to load — no broken picture,
  // their name all the same.
  const v = await newPage('visitor')
  await v.route((u) => u.pathname.startsWith('/api/v1/avatars/'), (r) => r.fulfill({ status: 404, body: '' }))
  await v.setViewportSize({ width: 375, height: 667 })
  await v.goto(base + process.env.KEFU_CHAT)
  const W = (sel) => v.locator('#kefu-widget ' + sel)
  await W('.cp textarea').fill('我想退货')
  await W('.cp textarea').press('Enter')
  step('visitor-said')
  await recv() // 小王 replied
  const bubble = W('.ms .m.ag').filter({ hasText: '小王为您服务' })
  await bubble.waitFor()
  await W('.hd .su').filter({ hasText: '小王' }).waitFor()
  // the failed loads have happened (each picture asked for is settled)
  await v.waitForFunction(() =>
    [...document.getElementById('kefu-widget').shadowRoot.querySelectorAll('img.av')].every((i) => i.complete))
  const shown = await v.evaluate(() =>
    [...document.getElementById('kefu-widget').shadowRoot.querySelectorAll('img.av')]
      .filter((i) => !i.hidden && i.getClientRects().length > 0).map((i) => i.src))
  check(shown.length === 0, 'broken avatars shown: ' + shown.join(', '))
  check((await bubble.locator('.n').textContent()).includes('小王'), "the agent's name beside the reply")
  await shot(v, 'faces-widget-broken-avatar-375')
  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
