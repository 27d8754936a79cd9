// The reports page's texts, 简体中文 first, English second: they load with
// the page (its own chunk), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  rep_failed: ['无法加载报表：{msg}', 'Could not load the reports: {msg}'],
  rep_from: ['开始日期', 'From'],
  rep_to: ['结束日期', 'To'],
  rep_channel: ['渠道', 'Channel'],
  rep_group: ['分组', 'Group'],
  rep_agent: ['客服', 'Agent'],
  rep_all: ['全部', 'All'],
  rep_apply: ['查询', 'Apply'],
  rep_lastDays: ['近 {n} 天', 'Last {n} days'],
  rep_csvSummary: ['导出汇总 CSV', 'Summary CSV'],
  rep_csvDaily: ['导出每日 CSV', 'Daily CSV'],
  rep_csvAgents: ['导出客服 CSV', 'Agents CSV'],
  rep_period: ['{from} 至 {to}（{tz}），对比上期 {pfrom} 至 {pto}', '{from} to {to} ({tz}), compared with {pfrom} to {pto}'],
  rep_empty: ['所选时间段内没有会话。', 'No conversations in this period.'],
  rep_prev: ['上期 {v}', 'before: {v}'],
  rep_definitions: ['指标说明', 'Definitions'],
  rep_conversations: ['会话数', 'Conversations'],
  rep_answered: ['已接待', 'Answered'],
  rep_answer_rate: ['接通率', 'Answer rate'],
  rep_first_response: ['平均首次响应', 'Avg. first response'],
  rep_resolution: ['平均解决时长', 'Avg. resolution'],
  rep_satisfaction: ['满意率', 'Satisfaction'],
  rep_messages_in: ['客户消息', 'Messages in'],
  rep_messages_out: ['客服回复', 'Replies'],
  rep_abandoned: ['排队放弃', 'Abandoned in queue'],
  rep_tickets: ['转留言', 'To tickets'],
  rep_taken: ['接入', 'Taken'],
  rep_resolved: ['已结束', 'Resolved'],
  rep_transfers: ['转出', 'Transfers'],
  rep_def_conversations: ['时间段内新开的会话（按客服筛选时为该客服接入的会话）。', 'Conversations opened in the period (with an agent filter: those the agent took).'],
  rep_def_answer_rate: ['接通率 = 有客服回复的会话 ÷ 会话数，均按会话开始时间计。', 'Answer rate = conversations an agent replied to ÷ conversations, both by the time they opened.'],
  rep_def_first_response: ['首次响应时间 = 客服第一条回复 − 会话开始（与 Chatwoot 一致）。', 'First response time = first agent reply − conversation opened (as Chatwoot).'],
  rep_def_resolution: ['解决时长 = 会话结束 − 会话开始，按结束时间计。', 'Resolution time = closed − opened, counted when closed.'],
  rep_def_satisfaction: ['满意率 =（非常满意 + 满意）÷ 参评数，即 4–5 分的评价占比。', 'Satisfaction = (very satisfied + satisfied) ÷ ratings: the share of 4–5 scores.'],
  rep_def_messages_in: ['客户发来的消息数。', 'Messages customers sent.'],
  rep_def_messages_out: ['客服发给客户的消息（不含自动消息和内部备注）。', 'Agents\' messages to customers (no automatic messages or notes).'],
  rep_def_abandoned: ['在排队中结束、从未被客服接入的会话。', 'Conversations closed while waiting in the queue, never taken.'],
  rep_def_tickets: ['无人可接待而转为留言工单的会话。', 'Conversations nobody could take that became tickets.'],
  rep_def_taken: ['客服被分配到会话的次数（分配、领取、转入）。', 'Times an agent was given a conversation (routing, pick-up, transfer).'],
  rep_def_answered: ['该客服第一个回复的会话数。', 'Conversations the agent replied to first.'],
  rep_def_resolved: ['由该客服结束的会话。', 'Conversations closed while theirs.'],
  rep_def_transfers: ['该客服转出的会话。', 'Conversations the agent transferred away.'],
  rep_volume: ['会话量', 'Volume'],
  rep_byDay: ['按日', 'By day'],
  rep_byHour: ['按时段', 'By hour'],
  rep_heatmap: ['时段热力图（星期 × 小时）', 'Heatmap (weekday × hour)'],
  rep_agents: ['客服工作量', 'Agents'],
  rep_noAgents: ['没有客服数据。', 'No agent figures.'],
  rep_wd1: ['周一', 'Mon'],
  rep_wd2: ['周二', 'Tue'],
  rep_wd3: ['周三', 'Wed'],
  rep_wd4: ['周四', 'Thu'],
  rep_wd5: ['周五', 'Fri'],
  rep_wd6: ['周六', 'Sat'],
  rep_wd7: ['周日', 'Sun'],
} as const

addTexts(texts)

export type ReportKey = keyof typeof texts | MessageKey

// rt translates a report text (or any text of the main table).
export const rt = (key: ReportKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
