import { describe, it, expect } from 'vitest'
import { normalize, prepare, hasOverride } from './automations'

describe('automations form model', () => {
  it('fills in missing sections without touching the input', () => {
    const src = { greeting: { enabled: true, after_seconds: 5, text: '您好' } }
    const a = normalize(src)
    expect(a.greeting.text).toBe('您好')
    expect(a.idle.close_after_seconds).toBe(600)
    expect(a.masking.patterns).toEqual([])
    a.greeting.text = 'x'
    expect(src.greeting.text).toBe('您好')
  })
  it('rejects a bad regex and coerces numbers', () => {
    const a = normalize({ masking: { enabled: true, patterns: [{ name: '手机', regex: '1\\d{10}', keep_first: '3', keep_last: '' }] } })
    a.greeting.after_seconds = '30'
    expect(prepare(a)).toBeNull()
    expect(a.greeting.after_seconds).toBe(30)
    expect(a.masking.patterns[0].keep_first).toBe(3)
    expect(a.masking.patterns[0].keep_last).toBe(0)
    a.masking.patterns.push({ name: '坏', regex: '(' })
    expect(prepare(a)).toEqual({ badRegex: '坏' })
  })
  it('tells an override from the tenant defaults', () => {
    expect(hasOverride({})).toBe(false)
    expect(hasOverride(null)).toBe(false)
    expect(hasOverride({ greeting: { enabled: true } })).toBe(true)
  })
})
