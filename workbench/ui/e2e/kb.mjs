// Browser test of the knowledge base's CSV import/export and the robot's
// keyword auto-replies in the console, driven by TestUIKnowledgeBase
// (e2e/browser): the empty states, a bad regex refused in Chinese, a rule
// with a link card saved and listed, a CSV imported (rows added, a bad row
// reported by number), the export downloaded with its BOM, the external
// bot's settings; a rich answer; a group's robot saved then cleared; the Excel export; an edit, its versions and a restore (a rich answer's too);
// the page at 375 px.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors, downloaded } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD

await run('kb-', async () => {
  const page = await newPage('admin')
  await login(page, '/console/kb', email, password)
  await page.locator('.kb-empty').waitFor()
  const rk = page.locator('section.rk')
  await rk.locator('.rk-empty').waitFor()
  await shot(page, 'kb-empty')

  // A bad pattern is refused in Chinese; a good rule with a card is listed.
  await rk.locator('select[name=rk-match]').selectOption('regex')
  await rk.locator('input[name=rk-pattern]').fill('(订单')
  await rk.locator('textarea[name=rk-reply]').fill('正在查询')
  await rk.locator('button.rk-save').click()
  await rk.locator('.rk-error', { hasText: '正则表达式无效' }).waitFor()
  await rk.locator('select[name=rk-match]').selectOption('exact')
  await rk.locator('input[name=rk-pattern]').fill('发票')
  await rk.locator('textarea[name=rk-reply]').fill('开票说明：')
  await rk.locator('input[name=rk-has-card]').check()
  await rk.locator('input[name=rk-card-title]').fill('如何开发票')
  await rk.locator('input[name=rk-card-url]').fill('https://shop.example.com/invoice')
  await rk.locator('input[name=rk-always]').check()
  await rk.locator('button.rk-save').click()
  await rk.locator('.rk-table .rk-pattern', { hasText: '发票' }).waitFor()
  check((await rk.locator('.rk-table').textContent()).includes('如何开发票'), 'the rule lists its card')
  await shot(page, 'kb-keyword')

  // Import: two articles added, a row without an answer reported.
  const csv = '\uFEFF标准问题,相似问法,答案,分类,标签,启用\n运费怎么收？,包邮吗|邮费多少,全场满99元包邮。,物流,,是\n' +
    '发什么快递？,用哪家快递,默认发中通。,物流,,是\n没有答案,,,,,\n'
  await page.locator('input[name=kb-import]').setInputFiles({ name: 'kb.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  await page.locator('.kb-note', { hasText: '新增 2 条' }).waitFor()
  await page.locator('.kb-import-errors', { hasText: '第 4 行' }).waitFor()
  await page.locator('.kb-table', { hasText: '发什么快递？' }).waitFor()
  await shot(page, 'kb-imported')

  // Export: a download Excel opens (BOM, Chinese header).
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button.kb-export').click()])
  const body = (await downloaded(download)).toString('utf8')
  check(body.startsWith('\uFEFF标准问题,相似问法,答案'), 'the export starts with a BOM and the Chinese header: ' + body.slice(0, 40))
  check(body.includes('运费怎么收？,包邮吗|邮费多少,全场满99元包邮。'), 'the export holds the imported article')

  // Excel: the workbook downloads (a zip).
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.locator('button.kb-export-xlsx').click()])
  check((await downloaded(xlsx)).subarray(0, 2).toString() === 'PK', 'the Excel export is an XLSX file')

  // Versions: an edit keeps the imported text; restoring it brings it back.
  const row = page.locator('.kb-table tr', { hasText: '运费怎么收？' })
  await row.locator('button', { hasText: '编辑' }).click()
  await page.locator('textarea[name=kb-answer]').fill('全场包邮，偏远地区除外。')
  await page.locator('button.kb-save').click()
  await page.locator('.kb-table', { hasText: '全场包邮，偏远地区除外。' }).waitFor()
  await row.locator('button.kb-history').click()
  const versions = page.locator('section.kb-versions')
  await versions.locator('li[data-version="2"] .kv-changed', { hasText: '改动：答案' }).waitFor()
  check(await versions.locator('li[data-version="1"]').textContent().then((s) => s.includes('全场满99元包邮。') && s.includes('导入')),
    'version 1 is the imported text')
  await versions.scrollIntoViewIfNeeded()
  await shot(page, 'kb-versions')
  await versions.locator('li[data-version="1"] button.kv-restore').click()
  await versions.locator('li[data-version="1"] button.kv-confirm').click()
  await page.locator('.kb-note', { hasText: '已恢复为版本 1' }).waitFor()
  await versions.locator('li[data-version="3"]', { hasText: '恢复' }).waitFor()
  await page.locator('.kb-table tr', { hasText: '全场满99元包邮。' }).waitFor()
  await versions.scrollIntoViewIfNeeded()
  await shot(page, 'kb-restored')
  await versions.locator('button.kv-close').click()

  // The external bot: its URL field shows with the webhook provider.
  await page.locator('select[name=robot-provider]').selectOption('webhook')
  await page.locator('input[name=robot-webhook-url]').waitFor()

  // A rich answer: pasted markup with a script and a javascript: link,
  // then bold (event handlers: TestKBRichAnswer); the hub keeps only
  // the allowed markup and makes its text the article's answer.
  await page.locator('.kb-table tr', { hasText: '发什么快递？' }).locator('button', { hasText: '编辑' }).click()
  const ra = page.locator('section.ra')
  await ra.locator('.ra-editor', { hasText: '默认发中通。' }).waitFor()
  await ra.locator('.ra-editor').evaluate((el) => {
    el.innerHTML = '<p>默认发中通</p><ul><li>偏远地区发EMS</li></ul><p><a href="javascript:alert(1)">点我</a>' +
      '<a href="https://shop.example.com/ship">运费说明</a></p><script>alert(2)</script>'
    const r = document.createRange()
    r.selectNodeContents(el.querySelector('p'))
    const sel = window.getSelection()
    sel.removeAllRanges()
    sel.addRange(r)
  })
  await ra.locator('button.ra-bold').click()
  await ra.locator('button.ra-save').click()
  await ra.locator('.ra-note').waitFor()
  const kept = await ra.locator('.ra-editor').innerHTML()
  check(/<(b|strong)>默认发中通<\/(b|strong)>/.test(kept), 'the bold button formats the selection: ' + kept)
  check(!/onclick|javascript:|<script/i.test(kept), 'the hub kept no script, handler or javascript: link: ' + kept)
  await ra.locator('.ra-text', { hasText: '• 偏远地区发EMS' }).waitFor()
  await page.locator('.kb-table tr', { hasText: '运费说明 (https://shop.example.com/ship)' }).waitFor()
  await ra.scrollIntoViewIfNeeded()
  await shot(page, 'kb-rich-answer')

  // The rich answer survives a restore: a plain edit of the answer drops
  // it; 历史版本 shows the version before formatted (no script kept), and
  // restoring that version brings the rich answer back, into the editor
  // left open on the article too, whose save then keeps it.
  await page.locator('textarea[name=kb-answer]').fill('默认发中通。')
  await page.locator('button.kb-save').click()
  const ship = page.locator('.kb-table tr', { hasText: '发什么快递？' })
  await page.locator('.kb-table tr', { hasText: '默认发中通。' }).waitFor()
  await ship.locator('button', { hasText: '编辑' }).click()
  await ra.locator('.ra-editor', { hasText: '默认发中通。' }).waitFor()
  check((await ra.locator('.ra-editor li').count()) === 0, 'the open editor shows the plain answer before the restore')
  await ship.locator('button.kb-history').click()
  const hist = page.locator('section.kb-versions')
  const richVersion = hist.locator('li', { has: page.locator('.kv-rich :is(b, strong)', { hasText: '默认发中通' }) }).first()
  await richVersion.waitFor()
  check((await hist.locator('li').first().locator('.kv-rich').count()) === 0, 'the plain edit is the current version, without a rich answer')
  check((await hist.locator('li').first().locator('.kv-changed').textContent()).includes('富文本格式'), 'the plain edit names the rich formatting among its changes')
  const shown = await richVersion.locator('.kv-rich').innerHTML()
  check(shown.includes('<li>偏远地区发EMS</li>') && !/script|javascript:|onclick/i.test(shown), 'the version shows its sanitized rich answer: ' + shown)
  await richVersion.locator('button.kv-restore').click()
  await richVersion.locator('button.kv-confirm').click()
  await page.locator('.kb-note', { hasText: '已恢复为版本' }).waitFor()
  await hist.locator('li').first().locator('.kv-rich :is(b, strong)', { hasText: '默认发中通' }).waitFor()
  await page.locator('.kb-table tr', { hasText: '运费说明 (https://shop.example.com/ship)' }).waitFor()
  await ra.locator('.ra-editor li', { hasText: '偏远地区发EMS' }).waitFor()
  check(/<(b|strong)>默认发中通<\/(b|strong)>/.test(await ra.locator('.ra-editor').innerHTML()), 'the open editor shows the restored rich answer')
  check((await page.locator('textarea[name=kb-answer]').inputValue()).startsWith('默认发中通\n\n• 偏远地区发EMS'),
    'the open form shows the restored answer')
  await hist.scrollIntoViewIfNeeded()
  await shot(page, 'kb-rich-restored')
  await hist.locator('button.kv-close').click()
  await ra.locator('button.ra-save').click()
  await ra.locator('.ra-note').waitFor()
  check((await ra.locator('.ra-editor').innerHTML()).includes('<li>偏远地区发EMS</li>'), 'the save keeps the restored rich answer')

  // A group's robot: first, with its own greeting and threshold, over the channel's.
  const rg = page.locator('section.rg')
  await rg.locator('select[name=rg-group]').waitFor()
  await rg.locator('select[name=rg-mode]').selectOption('first')
  await rg.locator('input[name=rg-own-greeting]').check()
  await rg.locator('input[name=rg-greeting]').fill('售后小助手为您服务')
  await rg.locator('input[name=rg-threshold]').fill('0.5')
  await rg.locator('button.rg-save').click()
  await rg.locator('.rg-note').waitFor()
  await rg.scrollIntoViewIfNeeded()
  await shot(page, 'kb-group-robot')
  step('desk-done')

  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/console/kb', email, password)
  await phone.locator('.rk-table .rk-pattern', { hasText: '发票' }).waitFor()
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the knowledge-base page is ${wide}px wide at 375`)
  await shot(phone, 'kb-375')
  await phone.locator('.kb-table tr', { hasText: '运费怎么收？' }).locator('button.kb-history').click()
  await phone.locator('section.kb-versions li[data-version="3"]').waitFor()
  const wideV = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wideV <= 375, `the versions are ${wideV}px wide at 375`)
  await shot(phone, 'kb-versions-375')

  // Once the hub has shown the group's robot saved: clear it (DELETE), the
  // form shows the channel's settings again.
  step('group-saved')
  await recv()
  page.removeAllListeners('dialog')
  page.on('dialog', (d) => d.accept().catch(() => {})) // the clear confirms
  await rg.locator('button.rg-clear').click()
  await rg.locator('.rg-note', { hasText: '已清除' }).waitFor()
  check((await rg.locator('select[name=rg-mode]').inputValue()) === '', 'the cleared group follows the channel')
  check(!(await rg.locator('input[name=rg-own-greeting]').isChecked()), 'the cleared group has no greeting of its own')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
