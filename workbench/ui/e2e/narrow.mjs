// Browser test of every workbench and console page on a 375 px phone and
// of refusals worded in zh-CN, driven by TestUINarrowAndErrors
// (e2e/browser): each route is opened at 375 x 740 and the page must not
// scroll sideways (wide tables scroll in their own box); then a duplicate
// agent e-mail, a bad keyword regex and a customer without a required
// custom field are refused in Chinese with the detail that helps.
// Screenshots narrow-<route>.png.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, check, newPage, shot, login, run, pageErrors, base } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD
const workbench = ['/', '/visitors', '/tickets', '/customers', '/history', '/settings']
const consoleSections = ['monitor', 'wallboard', 'reports', 'qa', 'ratings', 'sla', 'agents', 'groups', 'channels', 'automations',
  'categories', 'canned', 'blacklist', 'tokens', 'webhooks', 'rules', 'kb', 'fields', 'visibility', 'failed', 'security', 'audit']

// wider measures the document and the page section (.page, which scrolls
// up and down: sideways it must not, or its title and buttons slide away
// with a wide table) and lists what sticks out of them, outside a box of
// its own that scrolls sideways (a table's wrapper, a tab row).
function wider() {
  const w = document.documentElement.clientWidth
  const pages = [...document.querySelectorAll('.page')]
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (pages.includes(p) || p === document.body) return false
      const o = getComputedStyle(p).overflowX
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true
    }
    return false
  }
  const out = []
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect()
    if (r.width && r.right > w + 1 && !scrolls(el)) {
      out.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} right ${Math.round(r.right)}`)
    }
  }
  const page = Math.max(0, ...pages.map((p) => p.scrollWidth - p.clientWidth))
  return { scroll: document.documentElement.scrollWidth, page, width: w, out: out.slice(0, 6) }
}

await run('narrow-', async () => {
  const page = await newPage('admin')
  await page.setViewportSize({ width: 375, height: 740 })
  await login(page, '/', email, password)
  await page.locator('.topbar').waitFor()

  const problems = []
  for (const path of [...workbench, ...consoleSections.map((s) => '/console/' + s)]) {
    await page.goto(base + path)
    await page.locator(path.startsWith('/console') ? `section.page[data-console=${path.split('/')[2]}]` : '.topbar').waitFor()
    // let the page's data arrive and render (loading → list or empty state)
    await page.waitForLoadState('load')
    await page.waitForTimeout(700)
    const r = await page.evaluate(wider)
    if (r.scroll > 375 || r.page > 1) problems.push(`${path}: ${r.scroll}px wide, the page ${r.page}px more (${r.out.join('; ')})`)
    await shot(page, 'narrow' + (path === '/' ? '-workbench' : path.replaceAll('/', '-')))
  }
  check(problems.length === 0, 'pages wider than 375 px:\n' + problems.join('\n'))

  // A duplicate agent e-mail: the form says whose address it is.
  await page.goto(base + '/console/agents')
  await page.locator('button.new-agent').click()
  await page.locator('input[name=agent-email]').fill(email)
  await page.locator('input[name=agent-password]').fill('another-pass-1')
  await page.locator('form.agent-form button[type=submit]').click()
  await page.locator('.error', { hasText: `邮箱 ${email} 已被其他客服使用` }).waitFor()
  await shot(page, 'narrow-error-agent-email')

  // A bad regular expression: what is wrong and where.
  await page.goto(base + '/console/kb')
  const rk = page.locator('section.rk')
  await rk.locator('select[name=rk-match]').selectOption('regex')
  await rk.locator('input[name=rk-pattern]').fill('(订单')
  await rk.locator('textarea[name=rk-reply]').fill('正在查询')
  await rk.locator('button.rk-save').click()
  await rk.locator('.rk-error', { hasText: '正则表达式无效：缺少右括号“)”（(订单）' }).waitFor()
  await shot(page, 'narrow-error-regex')

  // A required custom field left empty: which field.
  await page.goto(base + '/customers')
  await page.locator('[data-action=new-customer]').click()
  await page.locator('input[name=c-name]').fill('王五')
  await page.locator('[data-action=save-customer]').click()
  await page.getByText('字段「兴趣」为必填项').first().waitFor()
  await shot(page, 'narrow-error-custom-field')

  // and no page threw
  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
