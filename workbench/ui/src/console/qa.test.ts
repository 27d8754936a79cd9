import { describe, expect, it } from 'vitest'
import { preview, parseDeductions, type QATemplate } from './qa'

const tpl: QATemplate = {
  id: 't',
  name: 't',
  enabled: true,
  max_score: 100,
  items: [
    { id: 'i1', name: 'a', max_points: 60, fatal: false, deductions: [{ label: 'x', points: 20 }, { label: 'y', points: 50 }] },
    { id: 'i2', name: 'b', max_points: 40, fatal: false, deductions: [] },
    { id: 'i3', name: 'c', max_points: 0, fatal: true, deductions: [] },
  ],
}

describe('qa preview', () => {
  it('takes deductions off, never below 0 per item', () => {
    expect(preview(tpl, {})).toBe(100)
    expect(preview(tpl, { i1: { item_id: 'i1', deductions: [0], failed: false, note: '' } })).toBe(80)
    expect(preview(tpl, { i1: { item_id: 'i1', deductions: [0, 1], failed: false, note: '' } })).toBe(40)
  })
  it('scores 0 when a fatal item failed', () => {
    expect(preview(tpl, { i3: { item_id: 'i3', deductions: [], failed: true, note: '' } })).toBe(0)
  })
  it('reads deduction lines', () => {
    expect(parseDeductions('答错:20\n 响应慢：10 \n\n')).toEqual([
      { label: '答错', points: 20 },
      { label: '响应慢', points: 10 },
    ])
  })
})
