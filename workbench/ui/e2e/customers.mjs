// Browser test of the customer center's custom fields, follow-ups, merge,
// import and export, driven by TestUICustomerFields (e2e/browser): an admin
// defines fields in the console (empty state first), customers are entered
// with them and filtered by a select field, a follow-up is logged and shows
// as due (and the agent gets the reminder), two customers with one phone are merged and unmerged, a sheet is
// checked (errors per row) and imported, the export defuses a formula, and
// the page fits 375 px. Screenshots of the list with custom fields and of
// the merge.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHROMIUM,
// KEFU_SHOTS (optional).
import { step, check, newPage, shot, login, run, axe, pageErrors, downloaded } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD

await run('customers-', async () => {
  const page = await newPage('admin')

  // The console: no fields yet, then a required select and a multi select.
  await login(page, '/console/fields', email, password)
  await page.getByText('还没有自定义字段。').waitFor()
  const addField = async (label, key, type, options, required) => {
    await page.locator('input[name=field-label]').fill(label)
    await page.locator('input[name=field-key]').fill(key)
    await page.locator('select[name=field-type]').selectOption(type)
    if (options) await page.locator('input[name=field-options]').fill(options)
    if (required) await page.locator('input[name=field-required]').check()
    await page.locator('[data-action=add-field]').click()
    await page.locator(`tr[data-field=${key}]`).waitFor()
  }
  await addField('会员等级', 'level', 'select', '金卡，银卡', true)
  await addField('兴趣', 'hobbies', 'multi_select', '读书, 篮球, 旅行', false)
  await addField('生日', 'birthday', 'date', '', false)
  await shot(page, 'console-fields')
  const a11yFields = await axe(page, '.fields-admin')
  check(a11yFields.length === 0, 'accessibility of the fields page: ' + a11yFields.join('; '))

  // Customers entered with their fields.
  await page.goto(process.env.KEFU_BASE + '/customers')
  await page.getByText('还没有客户').waitFor()
  const create = async (name, phone, level, hobbies) => {
    await page.locator('[data-action=new-customer]').click()
    await page.locator('input[name=c-name]').fill(name)
    await page.locator('input[name=c-phone]').fill(phone)
    await page.locator('select[name=cf-level]').selectOption(level)
    for (const h of hobbies) await page.locator('[data-field=hobbies] label', { hasText: h }).locator('input').check()
    await page.locator('[data-action=save-customer]').click()
    await page.locator('table.grid tbody tr', { hasText: name }).waitFor()
  }
  await create('李雷', '13900000001', '金卡', ['读书', '篮球'])
  await create('韩梅梅', '13900000002', '银卡', ['旅行'])
  await create('李雷（微信）', '13900000001', '金卡', [])
  const lilei = page.locator('table.grid tbody tr', { hasText: '李雷' }).filter({ hasNotText: '微信' })
  check((await lilei.locator('[data-col=level]').textContent()) === '金卡', 'the level column')
  check((await lilei.locator('[data-col=hobbies]').textContent()) === '读书,篮球', 'the hobbies column')

  // Filter by the select field.
  await page.locator('select[name=customer-field]').selectOption('level')
  await page.locator('select[name=customer-field-value]').selectOption('银卡')
  await page.locator('table.grid tbody tr', { hasText: '韩梅梅' }).waitFor()
  await page.locator('table.grid tbody tr', { hasText: '李雷' }).first().waitFor({ state: 'detached' })
  await shot(page, 'customers-filtered-by-field')
  await page.locator('select[name=customer-field]').selectOption('')
  await page.locator('table.grid tbody tr', { hasText: '李雷' }).first().waitFor()
  await shot(page, 'customers-custom-fields')

  // A follow-up whose date has passed: the customer shows as due.
  await lilei.click()
  await page.locator('.customer-form h3', { hasText: '编辑客户' }).waitFor()
  check((await page.locator('select[name=cf-level]').inputValue()) === '金卡', 'the form holds the level')
  await page.locator('textarea[name=followup-note]').fill('电话回访，客户考虑升级')
  const past = new Date(Date.now() - 60_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
  await page.locator('input[name=followup-next]').fill(past)
  await page.locator('[data-action=add-followup]').click()
  // the hub sweeps due follow-ups (every 20 s) and tells the agent who logged it
  const reminded = page
    .getByText('跟进提醒：客户“李雷”该跟进了')
    .first()
    .waitFor({ timeout: 45000 })
    .then(
      () => true,
      () => false,
    )
  await page.locator('.fu-log li', { hasText: '电话回访，客户考虑升级' }).waitFor()
  await lilei.locator('.tag.due').waitFor()
  await page.locator('input[name=customer-due]').check()
  await page.locator('table.grid tbody tr', { hasText: '韩梅梅' }).waitFor({ state: 'detached' })
  check((await page.locator('table.grid tbody tr').count()) === 1, 'only the due customer is listed')
  await page.locator('input[name=customer-due]').uncheck()
  await page.locator('table.grid tbody tr', { hasText: '韩梅梅' }).waitFor()

  // Merge: the same phone is suggested; the agent confirms.
  await lilei.click()
  const sugg = page.locator('[data-part=merge] li', { hasText: '李雷（微信）' })
  await sugg.getByText('电话相同').waitFor()
  await sugg.locator('[data-action=merge]').click()
  await sugg.locator('[role=alertdialog]', { hasText: '合并到“李雷”' }).waitFor()
  await shot(page, 'customers-merge-confirm')
  const a11yForm = await axe(page, '.customer-form')
  check(a11yForm.length === 0, 'accessibility of the customer form: ' + a11yForm.join('; '))
  await sugg.locator('[data-action=confirm-merge]').click()
  await page.locator('[data-part=merge] [data-action=unmerge]').waitFor()
  await page.locator('table.grid tbody tr', { hasText: '李雷（微信）' }).waitFor({ state: 'detached' })
  await page.locator('[data-part=merge] li', { hasText: '合并了“李雷（微信）”' }).waitFor()
  // tall enough for the list and the whole form with its merge history
  await page.setViewportSize({ width: 1360, height: 1400 })
  await page.evaluate(() => document.querySelectorAll('*').forEach((el) => el.scrollTop > 0 && (el.scrollTop = 0)))
  await shot(page, 'customers-merged')
  await page.setViewportSize({ width: 1360, height: 820 })
  await page.locator('[data-part=merge] [data-action=unmerge]').click()
  await page.locator('[data-part=merge]').getByText('已撤销').waitFor()
  await page.locator('table.grid tbody tr', { hasText: '李雷（微信）' }).waitFor()

  // Import: a sheet with a bad row is reported by row and column, nothing stored.
  await page.locator('[data-action=import-customers]').click()
  const bad = '姓名,电话,会员等级\n王五,13900000005,金卡\n赵六,13900000006,钻石卡\n'
  await page.locator('input[name=import-file]').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) })
  await page.locator('[data-action=import-check]').click()
  await page.locator('.import .errors li', { hasText: '第 3 行' }).waitFor()
  check((await page.locator('.import .errors').textContent()).includes('钻石卡'), 'the reason names the value')
  check((await page.locator('[data-action=import-commit]').count()) === 0, 'a bad sheet cannot be imported')
  await shot(page, 'customers-import-errors')
  const good = '姓名,电话,会员等级,兴趣\n=1+1,13900000007,银卡,读书\n赵六,13900000006,金卡,\n'
  await page.locator('input[name=import-file]').setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) })
  await page.locator('[data-action=import-check]').click()
  await page.getByText('共 2 行，没有发现错误。').waitFor()
  await page.locator('[data-action=import-commit]').click()
  await page.locator('table.grid tbody tr', { hasText: '赵六' }).waitFor()

  // Export: the formula the sheet carried is defused.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-action=export-customers]').click()])
  const csv = (await downloaded(dl)).toString('utf8')
  check(csv.startsWith('\uFEFFID,姓名') && csv.includes('会员等级'), 'the export header: ' + csv.slice(0, 80))
  check(csv.includes("'=1+1") && !csv.includes(',=1+1'), 'the formula is defused: ' + csv)

  check(await reminded, 'the agent was reminded of the due follow-up')
  // On a phone.
  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/customers', email, password)
  await phone.locator('table.grid tbody tr', { hasText: '韩梅梅' }).waitFor()
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the customers page is ${wide}px wide at 375`)
  await shot(phone, 'customers-fields-375')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
