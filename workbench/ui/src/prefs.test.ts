import { describe, it, expect, beforeAll } from 'vitest'

beforeAll(() => {
  const mem = new Map<string, string>()
  ;(globalThis as any).localStorage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => mem.set(k, v) }
})

describe('send key setting', () => {
  it('Enter sends unless Ctrl+Enter is chosen; IME composition never sends', async () => {
    const { isSend } = await import('./prefs')
    const k = (over: object) => ({ key: 'Enter', ctrlKey: false, metaKey: false, shiftKey: false, isComposing: false, ...over })
    expect(isSend(k({}), 'enter')).toBe(true)
    expect(isSend(k({ shiftKey: true }), 'enter')).toBe(false)
    expect(isSend(k({ isComposing: true }), 'enter')).toBe(false)
    expect(isSend(k({}), 'ctrl')).toBe(false)
    expect(isSend(k({ ctrlKey: true }), 'ctrl')).toBe(true)
    expect(isSend(k({ key: 'a' }), 'enter')).toBe(false)
  })
})
