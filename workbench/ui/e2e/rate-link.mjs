// Browser test of the rating page (满意度评价页) an invitation on WeChat
// links to, driven by TestUIRateByLink (e2e/browser): the admin turns one
// WeChat channel's invitation off in the console's channel settings; at
// 375 px a forged link says it is not valid; the invitation's link shows the tenant's
// scale, the picked level's reasons and a comment box; the customer rates
// 不满意 with a reason and a comment holding markup and is thanked; the
// page opened again shows their rating, in zh-TW and en too; the console's
// ratings list shows it, the comment as text.
//
// env: KEFU_BASE, KEFU_QUIET (the name of the channel to switch off),
// KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_SHOTS (optional), KEFU_PREFIX
// (screenshot names). The Go side then sends the invitation's link (at
// KEFU_BASE) and the same link with its signature changed.
import { step, recv, check, newPage, shot, login, run, pageErrors, base } from './browser.mjs'

const prefix = process.env.KEFU_PREFIX || ''
const comment = '<img src=x onerror="document.title=\'pwned\'">客服回复太慢了'

await run('rate-link-', async () => {
  // The channel's own switch: on for a new WeChat channel, turned off here.
  const adm = await newPage('admin')
  await login(adm, '/console/channels', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await adm.locator(`tr[data-channel="${process.env.KEFU_QUIET}"]`).click()
  await adm.locator('.channel-detail').getByRole('button', { name: '编辑' }).click()
  const sw = adm.locator('.channel-form input[name=rate_on_close]')
  check(await sw.isChecked(), 'a new WeChat channel invites on close')
  check((await adm.locator('.channel-form label:has(input[name=rate_on_close])').textContent()).includes('会话结束后邀请评价'), 'the switch is labelled')
  await sw.uncheck()
  await shot(adm, prefix + 'rate-link-channel-switch')
  await adm.locator('.channel-form button.save-channel').click()
  await adm.locator('.channel-detail').waitFor()
  step('switched')
  const { link, forged } = await recv()

  const p = await newPage('customer')
  await p.setViewportSize({ width: 375, height: 740 })
  const app = p.locator('#app')
  const narrow = async (what) => {
    const wide = await p.evaluate(() => document.documentElement.scrollWidth)
    check(wide <= 375, `${what}: the page is ${wide}px wide at 375`)
  }

  // A forged link: 404, and the page says why.
  const bad = await p.goto(base + forged)
  check(bad.status() === 404, 'a forged link answered ' + bad.status())
  await p.locator('#app[data-state=invalid]').waitFor()
  check((await p.locator('#status').textContent()).includes('评价链接无效'), 'the invalid state: ' + (await p.locator('#status').textContent()))
  check(await p.locator('#form').isHidden(), 'a form for a forged link')
  await shot(p, prefix + 'rate-link-invalid-375')

  // The invitation's link: the scale, nothing rated yet.
  const ok = await p.goto(base + link)
  check(ok.status() === 200, 'the link answered ' + ok.status())
  await p.locator('#app[data-state=empty]').waitFor()
  const labels = await p.locator('#levels button span:first-child').allTextContents()
  check(labels.join('|') === '满意|一般|不满意', 'the levels offered: ' + labels.join('|'))
  check(await p.locator('#reasons-box').isHidden(), 'reasons before a level is picked')
  await narrow('empty')
  await shot(p, prefix + 'rate-link-empty-375')
  // Sending with no level picked asks for one.
  await p.locator('#submit').click()
  await p.locator('#error', { hasText: '请先选择一个评价' }).waitFor()

  await p.locator('#levels button[data-score="5"]').click()
  check(await p.locator('#reasons-box').isHidden(), '满意 has no reasons')
  await p.locator('#levels button[data-score="1"]').click()
  check((await p.locator('#levels button[data-score="1"]').getAttribute('aria-pressed')) === 'true', '不满意 picked')
  const reason = p.locator('#reasons button', { hasText: '太慢' })
  await reason.click()
  check((await reason.getAttribute('aria-pressed')) === 'true', '太慢 ticked')
  await p.locator('#comment').fill(comment)
  await narrow('filled')
  await shot(p, prefix + 'rate-link-filled-375')
  await p.locator('#submit').click()
  await p.locator('#app[data-state=done]').waitFor()
  check((await p.locator('#status').textContent()) === '感谢您的评价！', 'thanks')
  await shot(p, prefix + 'rate-link-done-375')
  step('rated')
  await recv() // the Go side saw the rating stored and listed

  // Opened again: their rating, changeable (the tenant allows ten minutes).
  await p.goto(base + link)
  await p.locator('#app[data-state=rated]').waitFor()
  check((await p.locator('#status').textContent()).startsWith('您的评价：不满意'), 'rated: ' + (await p.locator('#status').textContent()))
  check((await p.locator('#comment').inputValue()) === comment, 'the comment kept')
  check((await reason.getAttribute('aria-pressed')) === 'true', 'the reason kept')
  check((await p.locator('#submit').textContent()) === '修改评价', 'the button offers a change')
  await shot(p, prefix + 'rate-link-rated-375')
  for (const [lang, title] of [['zh-TW', '服務評價'], ['en', 'Rate our service']]) {
    await p.goto(base + link + '?lang=' + lang)
    await p.locator('#app[data-state=rated]').waitFor()
    check((await p.locator('#title').textContent()) === title, lang + ' title: ' + (await p.locator('#title').textContent()))
    await narrow(lang)
    await shot(p, prefix + 'rate-link-rated-' + lang + '-375')
  }
  check((await p.title()) !== 'pwned', 'the comment ran as markup')
  check((await p.locator('#app img').count()) === 0, 'an image element came from the comment')

  // The console's ratings list shows it, the comment as text.
  await adm.goto(base + '/console/ratings')
  const row = adm.locator('[data-table=ratings] tbody tr').first()
  await row.waitFor()
  const text = await row.textContent()
  check(text.includes('不满意') && text.includes('太慢') && text.includes('<img src=x'), 'the ratings list row: ' + text)
  check((await adm.locator('[data-table=ratings] img').count()) === 0, 'an image element in the list')
  await shot(adm, prefix + 'rate-link-ratings-list')
  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
