// Browser test of the console's reports (报表), driven by TestUIReports
// (e2e/browser): the overview tiles with their definitions, the volume
// chart (by day, week and month), the heatmap, the agent table, the newer
// tiles (reply time, queue wait p90, 参评率, bad ratings, messages per
// conversation), the leave-messages by source, the tickets report, the attendance (考勤) and the
// breakdowns by source, region and device (also for one agent) over a hub
// with two answered conversations, the agents' concurrency, CSV and XLSX
// downloads, the daily report e-mail's schedule, the wallboard (大屏), and
// both at 375 px.
//
// env: KEFU_BASE, KEFU_ADMIN_EMAIL, KEFU_ADMIN_PASSWORD, KEFU_AGENT_NAME, KEFU_SUP_EMAIL,
// KEFU_CHROMIUM, KEFU_SHOTS (optional).
import { step, check, newPage, shot, login, run, pageErrors, axe } from './browser.mjs'

await run('reports-', async () => {
  const page = await newPage('admin')
  await login(page, '/console/reports', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  const conv = page.locator('[data-tile=conversations] .num')
  await conv.waitFor()
  check((await conv.textContent()).trim() === '2', 'conversations tile: ' + (await conv.textContent()))
  check((await page.locator('[data-tile=answer_rate] .num').textContent()).trim() === '100.0%', 'answer rate tile')
  const def = await page.locator('[data-tile=first_response]').getAttribute('title')
  check(def.includes('客服第一条回复'), 'the first response tile explains itself: ' + def)
  // the newer figures, each explaining itself: one message each way in
  // each conversation; nobody waited after the first reply; none closed
  // yet, so none offered a rating
  const tileText = async (k) => (await page.locator(`[data-tile=${k}] .num`).textContent()).trim()
  check(await tileText('messages_per_conversation') === '2.0', 'messages per conversation: ' + await tileText('messages_per_conversation'))
  check(await tileText('reply') === '—' && await tileText('reply_p90') === '—' && await tileText('rating_response') === '—' && await tileText('bad_ratings') === '0', 'reply, its p90, 参评率, bad ratings')
  check(/^\d+秒$/.test(await tileText('queue_wait_p90')), 'queue wait p90, in Chinese units: ' + await tileText('queue_wait_p90'))
  for (const [k, words] of [['reply', '客户开始等待'], ['reply_p90', '90% 的回复'], ['queue_wait_p90', '90%'], ['rating_response', '结束时邀请评价'], ['bad_ratings', '最新评分'], ['messages_per_conversation', '客户消息']]) {
    const title = await page.locator(`[data-tile=${k}]`).getAttribute('title')
    check(title.includes(words), `the ${k} tile explains itself: ${title}`)
  }
  // 仅工作时间: the channel has no group with hours, so business time is the calendar's
  const frt = (await page.locator('[data-tile=first_response] .num').textContent()).trim()
  await page.getByLabel('仅工作时间').check()
  await page.locator('[data-test=report-business]').waitFor()
  const frtBiz = (await page.locator('[data-tile=first_response] .num').textContent()).trim()
  check(frtBiz === frt, `business-hours first response ${frtBiz}, calendar ${frt}`)
  await page.getByLabel('仅工作时间').uncheck()
  await page.locator('[data-test=report-business]').waitFor({ state: 'detached' })
  await page.getByRole('button', { name: '指标说明' }).click()
  await page.locator('.report-defs dt', { hasText: '满意率' }).waitFor()
  check(await page.locator('.report-chart canvas').isVisible(), 'the volume chart is drawn')
  const cells = await page.locator('[data-test=heatmap] td').allTextContents()
  check(cells.length === 7 * 24, `heatmap cells: ${cells.length}`)
  check(cells.reduce((n, c) => n + (Number(c) || 0), 0) === 2, 'the heatmap counts the two conversations')
  const row = page.locator(`tr[data-agent="${process.env.KEFU_AGENT_NAME}"]`)
  await row.waitFor()
  check((await row.locator('td').nth(1).textContent()).trim() === '2', 'the agent took both')
  // 平均并发会话数: the agent has held both conversations since taking them, online all along
  const conc = (await row.locator('[data-test=concurrency]').textContent()).trim()
  check(/^\d+\.\d\d$/.test(conc) && Number(conc) > 0 && Number(conc) <= 2, 'the agent\'s concurrency: ' + conc)
  check((await page.locator('.report-agents th', { hasText: '平均并发会话数' }).getAttribute('title')).includes('在线时长'), 'the concurrency column explains itself')
  await shot(page, 'reports-overview')
  const a11y = await axe(page, '.page')
  check(a11y.length === 0, 'serious or critical accessibility findings: ' + a11y.join('; '))
  await page.locator('[data-test=heatmap]').scrollIntoViewIfNeeded()
  await shot(page, 'reports-heatmap-agents')

  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=csv-summary]').click()])
  check(dl.suggestedFilename().startsWith('report-summary-'), 'CSV file name: ' + dl.suggestedFilename())

  // Tickets: the urgent follow-up, created and still open.
  const tk = page.locator('[data-test=tickets] tr[data-ticket-key=urgent]')
  await tk.waitFor()
  const tkCells = await tk.locator('td').allTextContents()
  check(tkCells[0].trim() === '紧急' && tkCells[1].trim() === '1' && tkCells[3].trim() === '1', 'tickets by priority: ' + tkCells.join(' | '))
  check((await page.locator('[data-tile=tk-backlog] .num').textContent()).trim() === '1', 'one ticket in the backlog')
  check((await page.locator('[data-tile=tk-sla]').getAttribute('title')).includes('截止时间'), 'the SLA tile explains itself')
  await page.locator('input[name=report-tickets-offline]').check()
  await page.locator('[data-test=tickets] td.muted').waitFor() // no leave-messages
  await page.locator('input[name=report-tickets-offline]').uncheck()
  await tk.waitFor()
  await page.locator('[data-test=tickets]').scrollIntoViewIfNeeded()
  await shot(page, 'reports-tickets')

  // Attendance (考勤): the agent has been online since the test began.
  const att = page.locator(`[data-test=attendance] tr[data-attendance="${process.env.KEFU_AGENT_NAME}"]`)
  await att.waitFor()
  const attCells = await att.locator('td').allTextContents()
  check(attCells[5].trim() !== '—' && /^\d\d:\d\d$/.test(attCells[5].trim()), 'first online: ' + attCells.join(' | '))
  check(attCells[6].trim() === '—', 'never went offline: ' + attCells[6])
  check((await page.locator('[data-test=attendance] th', { hasText: '示忙时长' }).getAttribute('title')).includes('示忙'), 'the busy column explains itself')
  await page.locator('[data-test=attendance]').scrollIntoViewIfNeeded()
  await shot(page, 'reports-attendance')
  await page.locator('select[name=report-format]').selectOption('xlsx')
  const [xl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export-attendance]').click()])
  check(xl.suggestedFilename().startsWith('report-attendance-') && xl.suggestedFilename().endsWith('.xlsx'), 'XLSX file name: ' + xl.suggestedFilename())

  // Where they came from: by source, then by device (the API's visitors
  // name no device).
  await page.locator('select[name=report-by]').selectOption('source')
  const src = page.locator('[data-test=origins] tr[data-origin="baidu.com"]')
  await src.waitFor()
  check((await src.locator('td').nth(1).textContent()).trim() === '2', 'both from baidu.com')
  check((await src.locator('td').nth(2).textContent()).trim() === '100.0%', 'their share')
  await page.locator('[data-test=origins]').scrollIntoViewIfNeeded()
  await shot(page, 'reports-sources')
  // 留言 by source: both conversations were answered, so no leave-messages
  await page.locator('input[name=report-leave]').check()
  await page.locator('[data-test=origins-empty]', { hasText: '留言' }).waitFor()
  await shot(page, 'reports-leave-messages')
  await page.locator('input[name=report-leave]').uncheck()
  await src.waitFor()
  await page.locator('select[name=report-by]').selectOption('region')
  await page.locator('[data-test=origins] tr[data-origin="浙江 杭州"]').waitFor()
  await page.locator('select[name=report-by]').selectOption('device')
  check((await page.locator('[data-test=origins] tr[data-origin=""] td').first().textContent()).trim() === '（无）', 'no device named')
  await shot(page, 'reports-devices')
  // The agent filter applies to the origins: the agent took both.
  await page.locator('select[name=report-agent]').selectOption({ label: process.env.KEFU_AGENT_NAME })
  await page.getByRole('button', { name: '查询' }).click()
  await page.locator('select[name=report-by]').selectOption('source')
  await page.locator('[data-test=origins] tr[data-origin="baidu.com"] td:nth-child(2)', { hasText: '2' }).waitFor()
  check((await page.locator('p.muted.small', { hasText: '按客服筛选时' }).count()) > 0, 'the origins say what the agent filter counts')
  await page.locator('select[name=report-agent]').selectOption('')
  await page.getByRole('button', { name: '查询' }).click()
  await page.locator('select[name=report-by]').selectOption('day')
  // Volume by week and by month: the same two conversations, in one row
  // each (the period's last week and month), drawn.
  for (const by of ['week', 'month']) {
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/reports/volume') && r.url().includes('by=' + by)),
      page.locator('select[name=report-by]').selectOption(by)])
    const rows = (await res.json()).rows
    check(rows.reduce((n, r) => n + r.conversations, 0) === 2 && rows[rows.length - 1].conversations === 2, `volume by ${by}: ` + JSON.stringify(rows.map((r) => [r.key, r.conversations])))
    check(await page.locator('.report-chart canvas').isVisible(), `the chart by ${by} is drawn`)
    await page.locator('.report-chart').scrollIntoViewIfNeeded()
    await shot(page, 'reports-volume-' + by)
  }
  await page.locator('select[name=report-by]').selectOption('day')

  // The daily report e-mail: on at 08:00 to the notification list until
  // set; a wrong address is refused, a time and an address are kept.
  const sched = page.locator('[data-test=report-schedule]')
  await sched.locator('input[name=schedule-time]').waitFor()
  check(await sched.locator('input[name=schedule-enabled]').isChecked(), 'the daily e-mail is on by default')
  check((await sched.locator('input[name=schedule-time]').inputValue()) === '08:00', 'at 08:00 by default')
  await sched.locator('input[name=schedule-time]').fill('18:30')
  await sched.locator('textarea[name=schedule-recipients]').fill('boss@shop.test\nnot-an-address')
  await sched.getByRole('button', { name: '保存' }).click()
  await sched.locator('.error', { hasText: 'not-an-address' }).waitFor()
  await sched.locator('textarea[name=schedule-recipients]').fill('boss@shop.test\ncfo@shop.test')
  await sched.getByRole('button', { name: '保存' }).click()
  await sched.locator('.error').waitFor({ state: 'detached' })
  await sched.scrollIntoViewIfNeeded()
  await shot(page, 'reports-schedule')
  await page.reload()
  await sched.locator('input[name=schedule-time]').waitFor()
  check((await sched.locator('input[name=schedule-time]').inputValue()) === '18:30', 'the time is kept')
  check((await sched.locator('textarea[name=schedule-recipients]').inputValue()) === 'boss@shop.test\ncfo@shop.test', 'the recipients are kept')

  // An empty period says so.
  await page.locator('input[name=report-from]').fill('2020-01-01')
  await page.locator('input[name=report-to]').fill('2020-01-07')
  await page.getByRole('button', { name: '查询' }).click()
  await page.locator('[data-test=report-empty]').waitFor()

  // The wallboard (大屏): the live figures and the agents, dark, for a TV.
  await page.goto(process.env.KEFU_BASE + '/console/wallboard')
  const today = page.locator('[data-tile=today] .num')
  await today.waitFor()
  check((await today.textContent()).trim() === '2', 'wallboard: conversations today ' + (await today.textContent()))
  check((await page.locator('[data-tile=chatting] .num').textContent()).trim() === '2', 'wallboard: two chats in progress')
  check((await page.locator('[data-tile=answer-rate] .num').textContent()).trim() === '100.0%', 'wallboard: answer rate')
  const card = page.locator(`[data-page=wallboard] .agent[data-agent="${process.env.KEFU_AGENT_NAME}"]`)
  await card.waitFor()
  check((await card.textContent()).includes('会话 2/5') && (await card.getAttribute('class')).includes('online'), 'wallboard agent card: ' + (await card.textContent()))
  await shot(page, 'wallboard')

  // On a phone, in each language: the page, its loading, empty and error
  // states fit 375 px, and no interface text is left in another language
  // (the names, origins and time zone are data, not interface).
  const phone = await newPage('phone')
  await phone.setViewportSize({ width: 375, height: 740 })
  await login(phone, '/console/reports', process.env.KEFU_ADMIN_EMAIL, process.env.KEFU_ADMIN_PASSWORD)
  await phone.locator('[data-tile=conversations] .num').waitFor()
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the reports page is ${wide}px wide at 375`)
  await shot(phone, 'reports-375')
  const words = {
    'zh-CN': { loading: '加载中', empty: '所选时间段内没有会话', failed: '无法加载报表', tile: '回复时长 P90' },
    'zh-TW': { loading: '載入中', empty: '所選時間段內沒有會話', failed: '無法載入報表', tile: '回覆時長 P90' },
    en: { loading: 'Loading', empty: 'No conversations in this period', failed: 'Could not load the reports', tile: 'Reply time p90' },
  }
  // the interface's text and tooltips, without the data in cells, options
  // and the period line (time zone)
  const uiText = (pg) => pg.evaluate(() => {
    const root = document.querySelector('.page') || document.body
    const clone = root.cloneNode(true)
    clone.querySelectorAll('td, option, [data-agent], [data-origin], .origin-key').forEach((n) => n.remove())
    const titles = [...clone.querySelectorAll('[title]')].map((n) => n.getAttribute('title'))
    const texts = []
    for (const w = document.createTreeWalker(clone, NodeFilter.SHOW_TEXT); w.nextNode();) texts.push(w.currentNode.data)
    return [...texts, ...titles].join('\n').replace(/Asia\/Shanghai/g, '')
  })
  // words of Latin letters a Chinese page may keep: file formats, the
  // product, 90th percentile, App and Chart.js-free names
  const isSummary = (url) => url.pathname.endsWith('/api/v1/reports/summary')
  const allowed = new Set(['CSV', 'XLSX', 'Excel', 'Kefu', 'App', 'Chatwoot', 'QQ', 'WeChat', 'P90', 'SLA'])
  for (const loc of ['zh-CN', 'zh-TW', 'en']) {
    const w = words[loc]
    await phone.evaluate((l) => localStorage.setItem('kefu.locale', l), loc)
    // loading: the summary answers after a pause
    let release
    const held = new Promise((r) => { release = r })
    await phone.route(isSummary, async (route) => { await held; await route.continue().catch(() => {}) })
    await phone.reload()
    await phone.locator('p.muted', { hasText: w.loading }).first().waitFor()
    check(await phone.evaluate(() => document.documentElement.scrollWidth) <= 375, `${loc}: loading wider than 375 px`)
    await shot(phone, `reports-375-${loc}-loading`)
    release()
    await phone.locator('[data-tile=reply_p90]', { hasText: w.tile }).waitFor()
    await phone.unroute(isSummary)
    check(await phone.evaluate(() => document.documentElement.scrollWidth) <= 375, `${loc}: the page is wider than 375 px`)
    await phone.getByRole('button', { name: loc === 'en' ? 'Definitions' : loc === 'zh-TW' ? '指標說明' : '指标说明' }).click()
    const text = await uiText(phone)
    if (loc === 'en') {
      const cjk = text.match(/[\u3400-\u9fff]+/g) || []
      // the language switch names each language in its own words
      const left = cjk.filter((s) => !['简体中文', '繁體中文'].includes(s))
      check(left.length === 0, `${loc}: Chinese left in English: ${left.slice(0, 10).join(' ')}`)
    } else {
      const latin = (text.match(/[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]/g) || []).filter((s) => !allowed.has(s) && !/@/.test(s) && s !== 'English')
      check(latin.length === 0, `${loc}: English left in Chinese: ${[...new Set(latin)].slice(0, 20).join(' ')}`)
    }
    await shot(phone, `reports-375-${loc}`)
    // empty: a period without conversations
    await phone.locator('input[name=report-from]').fill('2020-01-01')
    await phone.locator('input[name=report-to]').fill('2020-01-07')
    await phone.locator('form.report-filters button[type=submit]').click()
    await phone.locator('[data-test=report-empty]', { hasText: w.empty }).waitFor()
    check(await phone.evaluate(() => document.documentElement.scrollWidth) <= 375, `${loc}: empty wider than 375 px`)
    await shot(phone, `reports-375-${loc}-empty`)
    // error: the hub cannot answer
    await phone.route(isSummary, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"unavailable","message":"down"}' }))
    await phone.locator('form.report-filters button[type=submit]').click()
    await phone.locator('p.error[role=alert]', { hasText: w.failed }).waitFor()
    check(await phone.evaluate(() => document.documentElement.scrollWidth) <= 375, `${loc}: error wider than 375 px`)
    await shot(phone, `reports-375-${loc}-error`)
    await phone.unroute(isSummary)
  }
  await phone.evaluate(() => localStorage.setItem('kefu.locale', 'zh-CN'))
  await phone.goto(process.env.KEFU_BASE + '/console/wallboard')
  await phone.locator('[data-tile=today] .num').waitFor()
  const wbWide = await phone.evaluate(() => document.documentElement.scrollWidth)
  check(wbWide <= 375, `the wallboard is ${wbWide}px wide at 375`)
  await shot(phone, 'wallboard-375')

  // A supervisor reaches the reports from the workbench; the console shows
  // them the monitor and the reports only.
  const sup = await newPage('supervisor')
  await login(sup, '/', process.env.KEFU_SUP_EMAIL, 'agent-pass-1')
  await sup.locator('[data-nav=reports]').click()
  await sup.locator('[data-tile=conversations] .num').waitFor()
  const secs = await sup.locator('.sidenav a').evaluateAll((as) => as.map((a) => a.dataset.section))
  check(secs.join() === 'monitor,wallboard,reports,qa,ratings', 'a supervisor\'s console sections: ' + secs.join())
  await sup.locator('[data-test=attendance]').waitFor()
  check((await sup.locator('[data-test=report-schedule]').count()) === 0, 'a supervisor does not see the e-mail schedule')

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
