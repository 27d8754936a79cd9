// Ticket SLA texts (服务时效): the console's policies page, the SLA block of
// a ticket, and the workbench's SLA notices. 简体中文 first, English second;
// they load with those pages (their own chunks), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  sec_sla: ['服务时效 SLA', 'SLA'],
  sla_title: ['服务时效（SLA）规则', 'SLA policies'],
  ev_ticket_sla: ['工单即将超时或已超时（SLA）', 'A ticket nears or passes its SLA due time'],
  noun_sla_policy: ['服务时效（SLA）规则', 'SLA policies'],
  act_sla_policy__update: ['修改服务时效（SLA）规则', 'Changed the SLA policies'],
  sla_intro: ['按优先级（可选按分组）设置首次响应和解决时限。时间按工单所属分组的工作时间计算；没有分组或分组未设工作时间时按自然时间计算。工单等待客户回复、已解决或已关闭时，解决时限暂停。', 'Targets per priority (optionally per group) for the first reply and for solving. Minutes count in the business hours of the ticket\'s group, calendar time without a group or hours. The resolution clock stops while the ticket waits on the customer, is solved or closed.'],
  sla_priority: ['优先级', 'Priority'],
  sla_group: ['分组', 'Group'],
  sla_anyGroup: ['所有分组', 'Any group'],
  sla_firstResponse: ['首次响应（分钟）', 'First response (minutes)'],
  sla_resolution: ['解决（分钟）', 'Resolution (minutes)'],
  sla_add: ['添加规则', 'Add a rule'],
  sla_remove: ['删除', 'Remove'],
  sla_save: ['保存', 'Save'],
  sla_saved: ['SLA 规则已保存', 'SLA policies saved'],
  sla_empty: ['还没有 SLA 规则：工单没有到期时间。', 'No SLA policies yet: tickets get no due times.'],
  sla_loadFailed: ['SLA 规则加载失败：{err}', 'Could not load the SLA policies: {err}'],
  sla_zeroHint: ['0 表示不设该项时限', '0 sets no target'],
  sla_due: ['到期', 'Due'],
  sla_sortUpdated: ['按更新时间', 'By last change'],
  sla_sortDue: ['按到期时间', 'By due time'],
  sla_sort: ['排序', 'Sort'],
  sla_firstResponseDue: ['首次响应', 'First response'],
  sla_resolutionDue: ['解决时限', 'Resolution'],
  sla_left: ['剩余 {t}', '{t} left'],
  sla_over: ['已超时 {t}', '{t} overdue'],
  sla_breached: ['已超时', 'Breached'],
  sla_warning: ['即将超时', 'Due soon'],
  sla_responded: ['已于 {time} 响应', 'Answered at {time}'],
  sla_paused: ['已暂停（等待客户/已解决）', 'Paused (waiting on the customer, or solved)'],
  sla_none: ['无时限', 'No target'],
  sla_follow: ['关注', 'Follow'],
  sla_unfollow: ['取消关注', 'Unfollow'],
  sla_followers: ['{n} 人关注', '{n} following'],
  sla_noticeWarning: ['工单“{subject}”的{clock}即将超时（{due}）', 'Ticket “{subject}”: {clock} due soon ({due})'],
  sla_noticeBreached: ['工单“{subject}”的{clock}已超时', 'Ticket “{subject}”: {clock} breached'],
  sla_clock_first_response: ['首次响应', 'first response'],
  sla_clock_resolution: ['解决时限', 'resolution'],
  sla_d: ['{n}天', '{n}d'],
  sla_h: ['{n}小时', '{n}h'],
  sla_m: ['{n}分钟', '{n}m'],
  tk_view_group: ['本组工单', 'My groups'],
  tk_view_following: ['我关注的', 'Following'],
  err_sla_target: ['时限须在 0 到 525600 分钟之间', 'Targets are 0 to 525600 minutes'],
  err_sla_duplicate: ['同一优先级和分组只能有一条规则', 'One rule per priority and group'],
} as const

addTexts(texts)

export type SlaKey = keyof typeof texts | MessageKey

// st translates an SLA text (or any text of the main table).
export const st = (key: SlaKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)

// span says a duration the way a countdown reads: 1天2小时, 3小时5分钟, 12分钟.
export function span(ms: number): string {
  const m = Math.max(0, Math.floor(Math.abs(ms) / 60000))
  const d = Math.floor(m / 1440)
  const h = Math.floor((m % 1440) / 60)
  const min = m % 60
  if (d) return st('sla_d', { n: String(d) }) + (h ? st('sla_h', { n: String(h) }) : '')
  if (h) return st('sla_h', { n: String(h) }) + (min ? st('sla_m', { n: String(min) }) : '')
  return st('sla_m', { n: String(min) })
}

// countdown is a due time as "剩余 …" or "已超时 …" at now.
export function countdown(due: string, now: number): { text: string; over: boolean } {
  const left = new Date(due).getTime() - now
  return left >= 0 ? { text: st('sla_left', { t: span(left) }), over: false } : { text: st('sla_over', { t: span(left) }), over: true }
}
