// Browser test of the public help centre (帮助中心), driven by
// TestUIHelpCentre (e2e/browser): the admin turns 在挂件中显示帮助中心 on
// in the console and gets the link; a visitor opens the help centre,
// searches, opens an article; a hostile article is shown as text and runs
// nothing; the widget's chat header links to the help centre; the pages at
// 375 px without sideways scrolling.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_CHANNEL,
// KEFU_CHROMIUM, KEFU_SHOTS (optional).
import { base, step, check, newPage, shot, login, run, pageErrors } from './browser.mjs'

const email = process.env.KEFU_ADMIN_EMAIL
const password = process.env.KEFU_ADMIN_PASSWORD
const channel = process.env.KEFU_CHANNEL

await run('helpcentre-', async () => {
  // The console: the switch, saved, and the link it gives.
  const adm = await newPage('admin')
  await login(adm, '/console/channels', email, password)
  await adm.locator('tr[data-channel="官网"]').click()
  await adm.getByRole('button', { name: '编辑' }).click()
  await adm.getByLabel('在挂件中显示帮助中心').check()
  await adm.locator('button.save-channel').click()
  const link = adm.locator('input[name=detail-help_url]')
  await link.waitFor()
  check((await link.inputValue()).endsWith('/help/' + channel), 'the console shows the help centre link: ' + (await link.inputValue()))
  await shot(adm, 'helpcentre-console')
  step('switched-on')

  // The help centre, as a visitor on a desktop.
  const v = await newPage('visitor')
  let dialogs = 0
  v.on('dialog', () => dialogs++)
  await v.goto(base + '/help/' + channel)
  await v.getByRole('heading', { name: '小美商城 · 帮助中心' }).waitFor()
  await v.getByRole('heading', { name: /物流/ }).waitFor()
  check((await v.locator('section#c0 li').count()) >= 1, 'the first category lists its articles')
  await shot(v, 'helpcentre-home')

  await v.getByRole('searchbox').fill('邮费要多少钱')
  await v.getByRole('button', { name: '搜索' }).click()
  await v.getByText('最佳答案').waitFor()
  check((await v.locator('article.best').textContent()).includes('全场满99元包邮'), 'the best answer is shown')
  await shot(v, 'helpcentre-search')

  await v.locator('article.best h2 a').click()
  await v.getByRole('heading', { name: '运费怎么算' }).waitFor()
  check((await v.locator('.answer a[href="https://shop.example.com/ship"]').count()) === 1, 'the answer’s link is a link')
  await shot(v, 'helpcentre-article')

  // The hostile article: its markup shown as text, nothing runs.
  await v.goto(base + '/help/' + channel + '?q=' + encodeURIComponent('发票怎么开'))
  await v.locator('section li a, article.best h2 a').filter({ hasText: '发票怎么开' }).first().click()
  await v.getByText('<img src=x onerror=').waitFor()
  check((await v.locator('.answer img').count()) === 0, 'an image element came from the hostile answer')
  check((await v.evaluate(() => document.title)).includes('<script>'), 'the title shows the markup as text')
  check(!(await v.evaluate(() => window.pwned)), 'the hostile article ran a script')
  check(dialogs === 0, 'the hostile article opened a dialog')
  await shot(v, 'helpcentre-hostile')

  // No search hits: the empty state, with the way to a person.
  await v.goto(base + '/help/' + channel + '?q=zzzz')
  await v.locator('[data-empty]').waitFor()
  await v.getByRole('link', { name: '联系在线客服' }).waitFor()

  // At 375 px: no sideways scrolling.
  const m = await newPage('mobile')
  await m.setViewportSize({ width: 375, height: 740 })
  for (const [path, name] of [['', 'helpcentre-home-375'], ['?q=' + encodeURIComponent('怎么退货'), 'helpcentre-search-375']]) {
    await m.goto(base + '/help/' + channel + path)
    await m.getByRole('searchbox').waitFor()
    const w = await m.evaluate(() => document.documentElement.scrollWidth)
    check(w <= 375, `${name} is ${w} px wide`)
    await shot(m, name)
  }
  await m.locator('main a[href*="/articles/"]').first().click()
  await m.locator('.answer').waitFor()
  check((await m.evaluate(() => document.documentElement.scrollWidth)) <= 375, 'the article page fits 375 px')
  await shot(m, 'helpcentre-article-375')

  // The widget's chat header links to the help centre, in its language.
  const chat = await newPage('chat')
  await chat.goto(base + '/chat/' + channel)
  const hl = chat.locator('#kefu-widget a.hl')
  await hl.waitFor()
  check((await hl.textContent()) === '帮助中心', 'the widget link reads 帮助中心')
  check((await hl.getAttribute('href')).endsWith('/help/' + channel + '?lang=zh-CN'), 'the widget link: ' + (await hl.getAttribute('href')))
  await shot(chat, 'helpcentre-widget-link')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
