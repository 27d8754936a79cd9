// Browser test of quality inspection (质检), driven by TestUIQualityInspection
// (e2e/browser): a supervisor gets the sensitive-word toast live, sees the
// alert listed, draws a batch, opens the review (the customer's text shown
// as text, never HTML), scores it against the template (the preview and the
// hub's total agree); the agent sees the score and appeals, also at 375 px;
// the supervisor resolves the appeal with an adjusted score.
//
// env: KEFU_BASE, KEFU_SUP_EMAIL, KEFU_AGENT_EMAIL, KEFU_AGENT_NAME, KEFU_CHROMIUM, KEFU_SHOTS (optional).
import { step, recv, check, newPage, shot, login, run, pageErrors, axe } from './browser.mjs'

const pass = 'agent-pass-1'
await run('qa-', async () => {
  const sup = await newPage('supervisor')
  await login(sup, '/', process.env.KEFU_SUP_EMAIL, pass)
  await sup.locator('.conn[data-conn=open]').waitFor()
  step('sup-ready')
  await recv() // the agent sent a sensitive word
  const toast = sup.locator('.toast', { hasText: '敏感词提醒' })
  await toast.waitFor()
  check((await toast.textContent()).includes('滚'), 'the toast names the word: ' + (await toast.textContent()))
  await shot(sup, 'qa-alert-toast')

  await sup.locator('[data-nav=qa]').click()
  await sup.locator('[data-tab=words]').click()
  const alert = sup.locator('[data-test=qa-alerts] tbody tr', { hasText: '别烦我' })
  await alert.waitFor()
  check((await alert.textContent()).includes(process.env.KEFU_AGENT_NAME), 'the alert names the agent')

  // draw a batch by the default rule (the last 7 days, 10 at random)
  await sup.locator('[data-tab=sample]').click()
  await sup.locator('[data-test=qa-draw]').click()
  await sup.locator('.toast', { hasText: '已抽取 1 条' }).waitFor()
  await sup.locator('[data-tab=pending][aria-selected=true]').waitFor()
  await sup.locator('.grid tbody tr', { hasText: '待评' }).first().click()
  const review = sup.locator('[data-test=qa-review]')
  const transcript = review.locator('[data-test=qa-transcript]')
  await transcript.locator('.msg', { hasText: '我要投诉' }).waitFor()
  check((await transcript.textContent()).includes('<img src=x onerror=alert(1)>'), 'the customer text is shown as text')
  check((await transcript.locator('img').count()) === 0, 'customer text became HTML')
  await review.locator('fieldset[data-item=i1] label', { hasText: '答错' }).locator('input').check()
  check((await review.locator('[data-test=qa-preview]').textContent()).includes('80 / 100'), 'preview after a deduction')
  await review.locator('textarea[name=qa-comment]').fill('答案不准确，请复习退款流程')
  const a11y = await axe(sup, '.page')
  check(a11y.length === 0, 'serious or critical accessibility findings: ' + a11y.join('; '))
  await shot(sup, 'qa-review-scoring')
  await review.locator('[data-test=qa-submit]').click()
  await review.locator('[data-test=qa-status]', { hasText: '已评' }).waitFor()
  check((await review.locator('[data-test=qa-score]').textContent()).includes('80 / 100'), 'the hub scored 80')
  await shot(sup, 'qa-review-scored')

  // the agent sees it and appeals, on a phone
  const li = await newPage('agent')
  await li.setViewportSize({ width: 375, height: 740 })
  await login(li, '/qa', process.env.KEFU_AGENT_EMAIL, pass)
  check((await li.locator('[data-tab]').count()) === 0, 'an agent has no reviewer tabs')
  await li.locator('.grid tbody tr', { hasText: '80 / 100' }).click()
  const mine = li.locator('[data-test=qa-review]')
  await mine.locator('[data-test=qa-transcript] .msg', { hasText: '我要投诉' }).waitFor()
  check((await mine.textContent()).includes('答案不准确'), 'the agent reads the comment')
  await mine.locator('[data-test=qa-appeal]').click()
  await mine.locator('textarea[name=qa-reason]').fill('客户要的是换货，我的回答没有错')
  await mine.locator('[data-test=qa-appeal-send]').click()
  await mine.locator('[data-test=qa-status]', { hasText: '申诉中' }).waitFor()
  const wide = await li.evaluate(() => document.documentElement.scrollWidth)
  check(wide <= 375, `the QA page is ${wide}px wide at 375`)
  await shot(li, 'qa-agent-appeal-375')

  // the supervisor resolves the appeal with an adjusted score
  await sup.locator('[data-tab=appealed]').click()
  await sup.locator('.grid tbody tr', { hasText: '申诉中' }).click()
  const ap = sup.locator('[data-test=qa-review]')
  await ap.locator('[data-test=qa-appeal-reason]', { hasText: '换货' }).waitFor()
  await ap.locator('input[name=qa-keep]').nth(1).check()
  await ap.locator('input[name=qa-new-score]').fill('90')
  await ap.locator('textarea[name=qa-note]').fill('核实后改判')
  await ap.locator('[data-test=qa-resolve]').click()
  await ap.locator('[data-test=qa-status]', { hasText: '申诉已处理' }).waitFor()
  check((await ap.locator('[data-test=qa-score]').textContent()).includes('90 / 100'), 'the adjusted score')
  await shot(sup, 'qa-appeal-resolved')

  // a template made in the editor: 2 items, one fatal, with deductions
  await sup.locator('[data-tab=templates]').click()
  await sup.locator('[data-test=qa-new-template]').click()
  await sup.locator('input[name=qa-tpl-name]').fill('简易质检')
  await sup.locator('input[name=qa-item-0]').fill('礼貌用语')
  await sup.locator('input[name=qa-points-0]').fill('100')
  await sup.locator('textarea[name=qa-deductions-0]').fill('未问候:10\n未致谢：5')
  await sup.getByRole('button', { name: '添加评分项' }).click()
  await sup.locator('input[name=qa-item-1]').fill('泄露隐私')
  await sup.locator('input[name=qa-fatal-1]').check()
  await sup.locator('[data-test=qa-save-template]').click()
  const made = sup.locator('.qa-setup .list li', { hasText: '简易质检' })
  await made.waitFor()
  check((await made.textContent()).includes('满分 100'), 'the new template: ' + (await made.textContent()))

  // the agent report shows the resolved QA score
  await sup.locator('[data-nav=reports]').click()
  const qaCell = sup.locator(`tr[data-agent="${process.env.KEFU_AGENT_NAME}"] [data-test=qa-score]`)
  await qaCell.waitFor()
  check((await qaCell.textContent()).includes('90.0 (1)'), 'QA score in the agent report: ' + (await qaCell.textContent()))
  await qaCell.scrollIntoViewIfNeeded()
  await sup.locator('.toast button').evaluateAll((bs) => bs.forEach((b) => b.click())) // notices off the table
  await sup.locator('.toast').first().waitFor({ state: 'detached' })
  await shot(sup, 'qa-agent-report')

  // in the console too, the supervisor hears of a sensitive word at once
  await sup.locator('.sidenav a[data-section=qa]').waitFor()
  step('sup-console')
  await recv()
  await sup.locator('.toast', { hasText: '敏感词提醒' }).waitFor()

  check(pageErrors.length === 0, 'page errors: ' + pageErrors.join('; '))
  step('done')
})
