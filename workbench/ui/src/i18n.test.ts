import { describe, it, expect, beforeAll } from 'vitest'

beforeAll(() => {
  const mem = new Map<string, string>()
  ;(globalThis as any).localStorage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => mem.set(k, v) }
  ;(globalThis as any).document = { documentElement: { lang: '' }, createElement: () => ({}) }
})

describe('languages', () => {
  it('steps through 简体中文, 繁體中文 and English; zh-TW is Traditional for every text', async () => {
    const { t, locale, locales, nextLocale, setLocale } = await import('./i18n')
    const { zhTW } = await import('./i18n-tw.gen')
    expect(locale.value).toBe('zh-CN')
    expect(t('sec_audit')).toBe('操作日志')
    await setLocale(nextLocale()) // the zh-TW texts are their own chunk
    expect(locale.value).toBe('zh-TW')
    expect(t('sec_audit')).toBe('操作日誌')
    expect(t('auditEmpty')).toBe('沒有符合條件的操作記錄。')
    expect(t('loginFailed', { msg: 'x' })).toBe('登入失敗：x')
    setLocale(nextLocale())
    expect(t('sec_audit')).toBe('Audit log')
    expect(locales[nextLocale()]).toBe('简体中文')
    // every text has its zh-TW form, none left in Simplified characters the
    // table below knows
    for (const [k, v] of Object.entries(zhTW)) {
      expect(v, k).not.toMatch(/[们这个说时无设删录认证导]/)
    }
  })
})
