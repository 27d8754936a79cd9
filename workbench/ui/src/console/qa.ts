// Quality inspection (质检): the shapes of GET /qa/… and the score a
// reviewer's picks come to (the hub computes the real one the same way).
import { call, qs, type Message } from '../api'

export interface QAItem {
  id: string
  name: string
  max_points: number
  fatal: boolean
  deductions: { label: string; points: number }[]
}
export interface QATemplate {
  id: string
  name: string
  enabled: boolean
  items: QAItem[]
  max_score: number
}
export interface QAItemScore {
  item_id: string
  deductions: number[]
  failed: boolean
  note: string
  points?: number
}
export interface QAReview {
  id: string
  batch_id: string
  conversation_id: string
  agent_id: string
  status: 'pending' | 'scored' | 'acknowledged' | 'appealed' | 'resolved'
  score: number | null
  max_score: number
  fatal: boolean
  items: QAItemScore[]
  comment: string
  appeal_reason: string
  resolution: string
  created_at: string
  template?: QATemplate
  messages?: Message[]
}
export interface QABatch {
  id: string
  name: string
  size: number
  created_at: string
}
export interface QAAlert {
  id: string
  conversation_id: string
  agent_id: string
  words: string[]
  text: string
  created_at: string
}

export const qa = {
  reviews: (tab: string) => call<{ reviews: QAReview[] }>('GET', '/qa/reviews' + qs({ tab })),
  review: (id: string) => call<QAReview>('GET', '/qa/reviews/' + id),
  score: (id: string, items: QAItemScore[], comment: string) => call<QAReview>('POST', `/qa/reviews/${id}/score`, { items, comment }),
  acknowledge: (id: string) => call<QAReview>('POST', `/qa/reviews/${id}/acknowledge`),
  appeal: (id: string, reason: string) => call<QAReview>('POST', `/qa/reviews/${id}/appeal`, { reason }),
  resolve: (id: string, score: number | null, note: string) => call<QAReview>('POST', `/qa/reviews/${id}/resolve`, { score, note }),
  templates: () => call<{ templates: QATemplate[] }>('GET', '/qa/templates'),
  saveTemplate: (t: Partial<QATemplate>) =>
    t.id ? call<QATemplate>('PATCH', '/qa/templates/' + t.id, t) : call<QATemplate>('POST', '/qa/templates', t),
  batches: () => call<{ batches: QABatch[] }>('GET', '/qa/batches'),
  sample: (rule: Record<string, unknown>) => call<QABatch>('POST', '/qa/batches', rule),
  words: () => call<{ words: string[] }>('GET', '/qa/words'),
  setWords: (words: string[]) => call<{ words: string[] }>('PUT', '/qa/words', { words }),
  alerts: () => call<{ alerts: QAAlert[] }>('GET', '/qa/alerts'),
}

// preview is what the reviewer's picks score: each item's points less the
// deductions picked (not below 0), 0 in all when a fatal item failed.
export function preview(t: QATemplate, picks: Record<string, QAItemScore>): number {
  let total = 0
  for (const it of t.items) {
    const p = picks[it.id]
    if (p?.failed) return 0
    const off = (p?.deductions ?? []).reduce((s, d) => s + (it.deductions[d]?.points ?? 0), 0)
    total += Math.max(0, it.max_points - off)
  }
  return total
}

// parseDeductions reads the template form's "label:points" lines.
export function parseDeductions(text: string): { label: string; points: number }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const i = Math.max(l.lastIndexOf(':'), l.lastIndexOf('：'))
      return i < 0 ? { label: l, points: 0 } : { label: l.slice(0, i).trim(), points: Number(l.slice(i + 1)) || 0 }
    })
}
