import { describe, expect, it } from 'vitest'
import { change, concurrency, heat, lastDays, perConversation, percent, seconds } from './reports'

describe('report formatting', () => {
  it('writes rates, durations and changes', () => {
    expect(percent(2 / 3)).toBe('66.7%')
    expect(percent(null)).toBe('—')
    expect(seconds(345)).toBe('5m 45s')
    expect(seconds(45.4)).toBe('45s')
    expect(seconds(7380)).toBe('2h 3m')
    expect(seconds(null)).toBe('—')
    expect(change(3, 2)).toBe('+50%')
    expect(change(1, 2)).toBe('-50%')
    expect(change(1, 0)).toBe('')
    expect(heat(5, 10)).toBe(0.5)
    expect(heat(0, 0)).toBe(0)
    expect(concurrency(2060, 64800)).toBe('0.03')
    expect(concurrency(5400, 3600)).toBe('1.50')
    expect(concurrency(undefined, 0)).toBe('—')
    expect(perConversation(13 / 3)).toBe('4.3')
    expect(perConversation(null)).toBe('—')
  })
  it('spans the last days, today included', () => {
    expect(lastDays(7, new Date(2026, 11, 6))).toEqual({ from: '2026-11-30', to: '2026-12-06' })
  })
})

describe('report texts', () => {
  it('load with the page, in every language', async () => {
    const mem = new Map<string, string>()
    ;(globalThis as any).localStorage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => mem.set(k, v) }
    ;(globalThis as any).document = { documentElement: { lang: '' }, createElement: () => ({}) }
    const { setLocale } = await import('../i18n')
    const { rt } = await import('./reports.i18n')
    const { zhTW } = await import('../i18n-tw.gen')
    expect(rt('rep_answer_rate')).toBe('接通率')
    expect(zhTW['rep_def_satisfaction']).toContain('滿意')
    expect(zhTW['rep_business']).toBe('僅工作時間')
    expect(zhTW['rep_rating_response']).toBe('參評率')
    expect(zhTW['rep_def_reply']).toContain('回覆')
    // durations in the reader's words: no English units left in Chinese
    const { localUnits } = await import('./reports.i18n')
    expect(seconds(345, localUnits)).toBe('5分45秒')
    expect(seconds(7380, localUnits)).toBe('2小时3分')
    await setLocale('zh-TW')
    expect(seconds(7380, localUnits)).toBe('2小時3分')
    expect(seconds(45, localUnits)).toBe('45秒')
    await setLocale('en')
    expect(seconds(345, localUnits)).toBe('5m 45s')
    expect(rt('rep_lastDays', { n: '7' })).toBe('Last 7 days')
    expect(rt('rep_business')).toBe('Business hours only')
  }, 30_000) // the texts' chunks load slowly on a busy machine
})
