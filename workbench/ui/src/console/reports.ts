// The reports page's API calls and formatting, in the page's own chunk
// (the agent bundle never loads them). Figures and definitions: the
// README's Reports section and GET /api/v1/reports/* in the OpenAPI file.
import { call, getToken, qs, refused } from '../api'

export interface Figures {
  conversations: number
  taken: number
  answered: number
  answer_rate: number | null
  first_response_seconds_avg: number | null
  resolved: number
  resolution_seconds_avg: number | null
  messages_in: number
  messages_out: number
  rated: number
  satisfied: number
  satisfaction_rate: number | null
  abandoned: number
  transfers: number
  tickets: number
  waited: number
  queue_wait_seconds_avg: number | null
  robot_conversations: number
  robot_resolved: number
  robot_handovers: number
  robot_resolution_rate: number | null
  // reply time (Chatwoot's: reply − waiting since, after the first response)
  replies?: number
  reply_seconds_avg?: number | null
  queue_wait_seconds_p90?: number | null
  reply_seconds_p90?: number | null
  bad_ratings?: number
  rating_invited?: number
  rating_responses?: number
  rating_response_rate?: number | null
  messages_per_conversation?: number | null
}
export interface Summary extends Figures {
  from: string
  to: string
  timezone: string
  previous: Figures & { from: string; to: string }
  // business_hours: the averages count business hours only
  business_hours?: boolean
}
export interface Row extends Figures {
  key: string
  name?: string
  // the agents' table: QA reviews scored in the period, their average (of 100)
  qa_score_avg?: number | null
  qa_reviews?: number
  // the agents' table: seconds on (online or busy), seconds holding
  // conversations, and held ÷ on (平均并发会话数)
  on_seconds?: number
  held_seconds?: number
  concurrency_avg?: number | null
}
export interface Volume {
  from: string
  to: string
  by: string
  rows: Row[]
  heatmap?: number[][]
}
// AgentDay is an agent's attendance (考勤) on one local date; times are
// the tenant's (RFC 3339 with its offset).
export interface AgentDay {
  agent_id: string
  name: string
  date: string
  online_seconds: number
  busy_seconds: number
  offline_seconds: number
  first_online: string | null
  last_offline: string | null
  // seconds holding conversations (÷ online + busy: the day's concurrency)
  held_seconds?: number
}

// concurrency is held ÷ on time written with two decimals, "—" without
// time on.
export function concurrency(held: number | undefined, on: number): string {
  return on > 0 ? ((held ?? 0) / on).toFixed(2) : '—'
}
// TicketFigures are a tickets report row (totals: key "").
export interface TicketFigures {
  key: string
  name?: string
  created: number
  solved: number
  backlog: number
  solve_seconds_avg: number | null
  solved_with_due: number
  sla_met: number
  sla_compliance: number | null
  responded_with_due: number
  response_met: number
  response_compliance: number | null
}
export type TicketsBy = 'priority' | 'channel' | 'agent' | 'origin'
// origins are the breakdowns by where conversations came from.
export const origins = ['source', 'keyword', 'referrer', 'landing', 'region', 'device'] as const
export type Breakdown = 'day' | 'week' | 'month' | 'hour' | (typeof origins)[number]
export type SheetFormat = 'csv' | 'xlsx'
export interface ReportFilter {
  from: string
  to: string
  channel?: string
  group?: string
  agent?: string
  // business_hours '1' averages first responses and queue waits in the
  // groups' business hours only (仅工作时间)
  business_hours?: string
}

const path = (kind: string, f: ReportFilter, extra: Record<string, string> = {}) =>
  '/reports/' + kind + qs({ ...f, ...extra })

export const reports = {
  summary: (f: ReportFilter) => call<Summary>('GET', path('summary', f)),
  // of 'leave_messages': an origin's leave-messages (their tickets figure)
  volume: (f: ReportFilter, by: string, of = '') => call<Volume>('GET', path('volume', f, of ? { by, of } : { by })),
  agents: (f: ReportFilter) => call<{ agents: Row[] }>('GET', path('agents', f)),
  attendance: (f: ReportFilter) => call<{ days: AgentDay[] }>('GET', path('attendance', f)),
  tickets: (f: ReportFilter, by: TicketsBy, origin: string) =>
    call<{ totals: TicketFigures; rows: TicketFigures[] }>('GET', path('tickets', f, origin ? { by, origin } : { by })),
  // file downloads a report as the hub writes it (UTF-8 CSV or XLSX).
  async file(kind: string, f: ReportFilter, format: SheetFormat, extra: Record<string, string> = {}): Promise<Blob> {
    const res = await fetch('/api/v1' + path(kind, f, { ...extra, format }), {
      headers: { Authorization: 'Bearer ' + getToken() },
    })
    if (!res.ok) throw await refused(res)
    return res.blob()
  },
}

// isoDate is a date as YYYY-MM-DD in the browser's time zone.
export function isoDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

// lastDays is the span of the n days ending today.
export function lastDays(n: number, today = new Date()): { from: string; to: string } {
  const from = new Date(today)
  from.setDate(from.getDate() - (n - 1))
  return { from: isoDate(from), to: isoDate(today) }
}

// perConversation writes a ratio with one decimal ("4.3"), "—" for none.
export function perConversation(r: number | null | undefined): string {
  return r == null ? '—' : r.toFixed(1)
}

// percent writes a rate (0–1) as "66.7%", or "—" when there is none.
export function percent(r: number | null): string {
  return r === null ? '—' : (Math.round(r * 1000) / 10).toFixed(1) + '%'
}

// Units write a duration's parts in the reader's language: seconds ("s"),
// minutes and seconds ("ms"), hours and minutes ("hm") — the pages pass
// their texts (rep_dur_*: 5分45秒, 5m 45s).
export type Units = (form: 's' | 'ms' | 'hm', parts: Record<string, string>) => string
const plainUnits: Units = (f, p) => (f === 's' ? `${p.s}s` : f === 'ms' ? `${p.m}m ${p.s}s` : `${p.h}h ${p.m}m`)

// seconds writes a duration as "45s", "5m 45s" or "2h 3m" (in units'
// words); "—" for none.
export function seconds(s: number | null, units: Units = plainUnits): string {
  if (s === null) return '—'
  const v = Math.round(s)
  if (v < 60) return units('s', { s: String(v) })
  if (v < 3600) return units('ms', { m: String(Math.floor(v / 60)), s: String(v % 60) })
  return units('hm', { h: String(Math.floor(v / 3600)), m: String(Math.floor((v % 3600) / 60)) })
}

// change is the relative change from prev to cur ("+50%"), "" when there
// is nothing to compare.
export function change(cur: number | null, prev: number | null): string {
  if (cur === null || prev === null || prev === 0) return ''
  const pct = Math.round(((cur - prev) / prev) * 100)
  return (pct > 0 ? '+' : '') + pct + '%'
}

// heat is a heatmap cell's shade (0 none … 1 the busiest cell).
export function heat(v: number, max: number): number {
  return max > 0 ? Math.round((v / max) * 100) / 100 : 0
}

// clock is the local time of day ("09:05") of a tenant-zone timestamp, as
// the hub wrote it; "—" for none.
export function clock(ts: string | null): string {
  return ts ? ts.slice(11, 16) : '—'
}
