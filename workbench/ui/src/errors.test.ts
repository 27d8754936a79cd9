import { describe, it, expect, beforeAll } from 'vitest'

beforeAll(() => {
  const mem = new Map<string, string>()
  ;(globalThis as any).localStorage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => mem.set(k, v) }
  ;(globalThis as any).document = { documentElement: { lang: '' }, createElement: () => ({}) }
})

// the hub's answer to a refused call, as api.ts turns it into an APIError
async function refusal(status: number, error: Record<string, unknown>) {
  const { APIError } = await import('./api')
  return new APIError(status, String(error.code), String(error.message), { error })
}
const latin = /[A-Za-z]{3,}/ // an English word

describe('errors in the reader’s language', () => {
  it('words a reason with its detail in zh-CN, zh-TW and English', async () => {
    const { errorText } = await import('./errors')
    const { setLocale } = await import('./i18n')
    await import('./console/errors.i18n')
    const regex = await refusal(400, { code: 'invalid', reason: 'keyword_regex', message: '正则表达式无效：missing closing ): `(订单`',
      params: { pattern: '(订单', part: '(订单', problem: 'missing_paren' } })
    const long = await refusal(400, { code: 'invalid', reason: 'input_too_long', message: 'greeting is at most 1000 characters',
      params: { field: 'greeting', max: '1000' } })
    const taken = await refusal(409, { code: 'conflict', reason: 'email_taken', message: 'conflict: an agent with email a@b.c already exists',
      params: { email: 'a@b.c' } })
    const field = await refusal(400, { code: 'invalid', reason: 'field_invalid', message: '字段「等级」必须是数字 (field level must be a number)',
      params: { field: 'level', label: '等级', problem: 'number' } })
    await setLocale('zh-CN')
    expect(errorText(regex)).toBe('正则表达式无效：缺少右括号“)”（(订单）')
    expect(errorText(long)).toBe('欢迎语最多 1000 个字符')
    expect(errorText(taken)).toBe('邮箱 a@b.c 已被其他客服使用')
    expect(errorText(field)).toBe('字段「等级」必须是数字')
    // a custom field keyed like a built-in one keeps the admin's label
    const named = await refusal(400, { code: 'invalid', reason: 'field_invalid', message: 'x',
      params: { field: 'email', label: '联系邮箱', problem: 'too_long', max: '1000' } })
    expect(errorText(named)).toBe('字段「联系邮箱」最多 1000 个字符')
    await setLocale('zh-TW')
    expect(errorText(long)).toBe('歡迎語最多 1000 個字元')
    expect(errorText(regex)).toContain('正規表示式無效')
    await setLocale('en')
    expect(errorText(long)).toBe('Greeting is at most 1000 characters')
    expect(errorText(field)).toBe('The field “等级” must be a number')
    await setLocale('zh-CN')
  }, 60_000) // the first test loads the modules: slow on a busy machine

  it('never shows a zh reader the hub’s English developer message', async () => {
    const { errorText, rowText } = await import('./errors')
    const { setLocale } = await import('./i18n')
    await setLocale('zh-CN')
    const answers = [
      await refusal(400, { code: 'invalid', message: 'targets must list 1 to 10 groups or agents, in overflow order' }),
      // a field the tables have no name for is not shown by its JSON name
      await refusal(400, { code: 'invalid', reason: 'input_required', message: 'foo_bar is required', params: { field: 'foo_bar' } }),
      await refusal(404, { code: 'not_found', message: 'not found' }),
      await refusal(409, { code: 'conflict', message: 'conflict: it changed' }),
      await refusal(418, { code: 'teapot', message: 'I am a teapot' }),
      await refusal(500, { code: 'internal', message: 'internal error' }),
      new TypeError('Failed to fetch'),
      new Error('something broke'),
    ]
    for (const e of answers) {
      const text = errorText(e)
      expect(text, String(e)).not.toMatch(latin)
      expect(text).toMatch(/[\u4e00-\u9fff]/)
    }
    // a message the hub wrote in Chinese (and English) keeps its Chinese detail
    const merge = await refusal(400, { code: 'invalid', message: '不能与自己合并 (a customer cannot be merged into itself)' })
    expect(errorText(merge)).toBe('提交的内容有误：不能与自己合并')
    expect(rowText({ message: 'question is required, at most 200 characters' })).not.toMatch(latin)
    expect(rowText({ message: 'x', reason: 'input_length', params: { field: 'question', max: '200' } })).toBe('标准问题不能为空，最多 200 个字符')
  }, 60_000)

  it('words the ratings’ refusals in the reader’s language', async () => {
    const { errorText } = await import('./errors')
    const { setLocale } = await import('./i18n')
    await import('./console/ratings.i18n')
    // an agent asks a WeChat customer for a rating while the invitation text is empty (the workbench)
    const empty = await refusal(409, { code: 'conflict', reason: 'rating_invite_empty',
      message: 'conflict: the rating invitation text is empty; an admin sets it in the rating settings' })
    // an admin deletes the key that signs new rating links (the console)
    const current = await refusal(409, { code: 'conflict', reason: 'rating_key_current',
      message: 'conflict: the current key signs new links; rotate first, then delete the old key' })
    await setLocale('zh-CN')
    expect(errorText(empty)).toBe('邀请评价的文字为空，请管理员在满意度设置中填写')
    expect(errorText(current)).toBe('当前密钥正在签发新链接，不能删除；请先轮换密钥，再删除旧密钥')
    await setLocale('zh-TW')
    for (const e of [empty, current]) expect(errorText(e)).not.toMatch(latin)
    expect(errorText(empty)).toContain('邀請評價')
    expect(errorText(current)).toContain('當前金鑰')
    await setLocale('en')
    expect(errorText(empty)).toBe('The rating invitation text is empty: an admin fills it in under the rating settings')
    expect(errorText(current)).toMatch(/^The current key signs new links/)
    await setLocale('zh-CN')
  }, 60_000)

  it('no screen renders a caught error’s own message', () => {
    // Every screen words a failure with errorText (or rowText): the
    // message of an Error is the hub's developer text (English) or the
    // browser's ("Failed to fetch").
    const sources = import.meta.glob(['./**/*.vue', './**/*.ts', '!./**/*.test.ts', '!./**/*.gen.ts', '!./api.ts', '!./errors.ts', '!./views/crm.ts'],
      { query: '?raw', import: 'default', eager: true }) as Record<string, string>
    expect(Object.keys(sources).length).toBeGreaterThan(50)
    const raw = /\((?:e|err|error|ex)\s+as\s+\w+\)\.message|\b(?:e|err|ex|error)\??\.message\b|String\((?:e|err)\)|\$\{(?:e|err)\}|\.message\s*\|\|/
    const offenders = Object.entries(sources).flatMap(([f, text]) =>
      text
        .split('\n')
        .map((line, i) => ({ f, i: i + 1, line }))
        .filter((x) => raw.test(x.line)),
    )
    expect(offenders.map((x) => `${x.f}:${x.i}: ${x.line.trim()}`)).toEqual([])
  })
})
