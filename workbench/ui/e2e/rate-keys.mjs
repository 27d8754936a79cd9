// Browser test of the console's rating link keys (满意度 → 评价链接密钥),
// driven by TestUIRatingLinkKeys (e2e/browser): empty before the first
// link; the first key current, its delete refused in Chinese; 轮换密钥 makes
// a new current key and the old one listed with until when its links
// open; the old key deleted after a confirmation saying its links stop
// opening; loading and error states; 简体/繁體/English at 375 px, none with
// another language's words. Then the workbench: an agent's rating request
// while the invitation text is empty reads why it was refused.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_AGENT_EMAIL,
// KEFU_AGENT_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { base, step, recv, check, newPage, shot, login, run, pageErrors, dialogs, slow } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD
const section = '[data-section=rating-keys]'

// sectionText is what the keys' section says, the key ids left out (they
// are names, not words).
const sectionText = (page) =>
  page.locator(section).evaluate((el) => {
    const c = el.cloneNode(true)
    c.querySelectorAll('code').forEach((n) => n.remove())
    return c.innerText
  })

// wordsOf checks the section has no word of another language than loc's.
async function wordsOf(page, loc) {
  const text = await sectionText(page)
  if (loc === 'en') {
    const cjk = text.match(/[\u3400-\u9fff]+/g) || []
    check(cjk.length === 0, `${loc}: Chinese left in English: ${cjk.slice(0, 10).join(' ')}`)
  } else {
    const latin = (text.match(/[A-Za-z]{2,}/g) || []).filter((s) => s !== 'QQ')
    check(latin.length === 0, `${loc}: English left in Chinese: ${[...new Set(latin)].slice(0, 20).join(' ')}`)
  }
}

const rows = (page) => page.locator(`${section} [data-list=rating-keys] li`)
const isKeys = (url) => url.pathname.endsWith('/api/v1/ratings/link-keys')

await run('rate-keys-', async () => {
  const page = await newPage('admin')
  await login(page, '/console/ratings', email, password)
  await page.locator('[data-empty=rating-keys]', { hasText: '还没有密钥' }).waitFor()
  await wordsOf(page, 'zh-CN')
  await shot(page, 'rate-keys-empty')
  step('empty-seen')
  await recv() // a WeChat invitation made the first key

  await page.reload()
  await rows(page).first().locator('[data-test=key-current]', { hasText: '当前密钥' }).waitFor()
  check((await rows(page).count()) === 1, 'one key')
  // the current key: the hub refuses, in the admin's language
  await rows(page).first().locator('[data-action=delete-key]').click()
  await page.locator('[data-test=key-refused]', { hasText: '当前密钥正在签发新链接，不能删除' }).waitFor()
  check((await page.locator('[role=dialog]').count()) === 0, 'a confirmation for the current key')
  check((await rows(page).count()) === 1, 'the current key left the list')
  await wordsOf(page, 'zh-CN')
  await shot(page, 'rate-keys-refused')
  step('refused')
  await recv()

  await page.locator('[data-action=rotate-key]').click()
  await page.getByText('已轮换').first().waitFor()
  await rows(page).nth(1).waitFor()
  check((await rows(page).nth(0).locator('[data-test=key-current]').count()) === 1, 'the new key is not the current one')
  const old = rows(page).nth(1)
  check((await old.textContent()).includes('旧密钥') && (await old.textContent()).includes('可打开至'), 'the old key: ' + (await old.textContent()))
  check((await page.locator('[data-test=key-refused]').count()) === 0, 'the refusal stayed after the rotation')
  await wordsOf(page, 'zh-CN')
  await shot(page, 'rate-keys-rotated')
  step('rotated')
  await recv() // the old link still opens

  const oldID = await old.getAttribute('data-key')
  await old.locator('[data-action=delete-key]').click()
  const dialog = page.locator('[role=dialog]')
  await dialog.locator('[data-test=key-delete-warning]', { hasText: '将立即无法打开' }).waitFor()
  check((await dialog.textContent()).includes(oldID), 'the confirmation names the key')
  await shot(page, 'rate-keys-confirm')
  await dialog.locator('[data-action=confirm-delete-key]').click()
  await page.getByText('已删除旧密钥').first().waitFor()
  await page.locator(`${section} li[data-key="${oldID}"]`).waitFor({ state: 'detached' })
  check((await rows(page).count()) === 1, 'one key left')
  step('deleted')
  await recv() // the old link opens nothing, the new one does

  // the audit log names both in Chinese, and finds them by their kind
  await page.goto(base + '/console/audit')
  await page.locator('select[name=audit-action]').selectOption('rating_key')
  await page.locator('button.audit-search').click()
  await page.locator('.audit-table tr[data-action="rating_key.delete"]', { hasText: '删除评价链接密钥' }).waitFor()
  await page.locator('.audit-table tr[data-action="rating_key.rotate"]', { hasText: '轮换评价链接密钥' }).waitFor()
  // the unfiltered list (shown first) holds these rows too: wait for the
  // filtered answer, which holds only them
  await page.waitForFunction(() => document.querySelectorAll('.audit-table tbody tr').length === 2, null, { timeout: 10000 * slow })
  const kinds = await page.locator('.audit-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.action))
  check(kinds.every((k) => k.startsWith('rating_key.')), 'the audit rows of the rating keys: ' + kinds)

  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/console/ratings', email, password)
  await rows(phone).first().waitFor()
  const titles = {}
  for (const loc of ['zh-CN', 'zh-TW', 'en']) {
    await phone.evaluate((l) => localStorage.setItem('kefu.locale', l), loc)
    let release
    const held = new Promise((r) => (release = r))
    await phone.route(isKeys, async (route) => {
      await held
      await route.continue().catch(() => {})
    })
    await phone.reload()
    await phone.locator('[data-test=keys-loading]').waitFor()
    check((await phone.evaluate(() => document.documentElement.scrollWidth)) <= 375, `${loc}: loading wider than 375 px`)
    release()
    await rows(phone).first().waitFor()
    await phone.unroute(isKeys)
    titles[loc] = await phone.locator(`${section} h3`).textContent()
    await wordsOf(phone, loc)
    check((await phone.evaluate(() => document.documentElement.scrollWidth)) <= 375, `${loc}: the page is wider than 375 px`)
    await phone.locator(section).scrollIntoViewIfNeeded()
    await shot(phone, `rate-keys-375-${loc}`)
  }
  check(titles['zh-CN'] === '评价链接密钥' && titles.en === 'Rating link keys' && titles['zh-TW'] !== titles['zh-CN'] &&
    /[\u3400-\u9fff]/.test(titles['zh-TW']), 'the titles: ' + JSON.stringify(titles))

  // error: the hub cannot answer; 重试 lists the keys once it can
  await phone.evaluate(() => localStorage.setItem('kefu.locale', 'zh-CN'))
  await phone.route(isKeys, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"down"}}' }))
  await phone.reload()
  const failed = phone.locator(`${section} p.error[role=alert]`, { hasText: '密钥加载失败' })
  await failed.waitFor()
  check((await phone.evaluate(() => document.documentElement.scrollWidth)) <= 375, 'error wider than 375 px')
  await wordsOf(phone, 'zh-CN')
  await shot(phone, 'rate-keys-375-error')
  await phone.unroute(isKeys)
  await failed.getByRole('button', { name: '重试' }).click()
  await rows(phone).first().waitFor()

  // The workbench: the agent asks a WeChat customer for a rating while the
  // tenant's invitation text is empty, and reads why it was refused.
  const agent = await newPage('agent')
  await login(agent, '/', process.env.KEFU_AGENT_EMAIL, process.env.KEFU_AGENT_PASSWORD)
  await agent.locator('.conn[data-conn=open]').waitFor()
  step('agent-in')
  const { text } = await recv() // the invitation text emptied, a customer writes
  await agent.locator('.list li', { hasText: text }).click()
  await agent.locator('button.act-rating').click()
  await agent.locator('p.error[role=alert]', { hasText: '邀请评价的文字为空，请管理员在满意度设置中填写' }).waitFor()
  check((await agent.getByText('已邀请客户评价').count()) === 0, 'the refused request read as asked')
  await shot(agent, 'rate-keys-request-refused')
  step('request-refused')
  await recv()

  check(dialogs.length === 0, 'dialogs: ' + dialogs.join('; '))
  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
