import { describe, expect, it } from 'vitest'
import { hue, initials } from './icons'

describe('avatars', () => {
  it('shows the given name of a Chinese name, the initials of a Latin one', () => {
    expect(initials('张小明')).toBe('小明')
    expect(initials('王五')).toBe('王五')
    expect(initials('访客 8f3a')).toBe('访客')
    expect(initials('Li Lei')).toBe('LL')
    expect(initials('anna.smith@shop.cn')).toBe('AS')
    expect(initials('  ')).toBe('?')
  })
  it('gives a name the same colour every time, and names different colours', () => {
    expect(hue('张小明')).toBe(hue('张小明'))
    const hues = new Set(['张小明', '李雷', '韩梅梅', 'Anna', 'Bob', 'Chen', 'Dora', 'Eve'].map(hue))
    expect(hues.size).toBeGreaterThan(3)
  })
})
