// The ratings page's texts (满意度), 简体中文 first, English second: they load
// with the page (its own chunk), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  rt_title: ['满意度评价', 'Satisfaction ratings'],
  rt_from: ['开始日期', 'From'],
  rt_to: ['结束日期', 'To'],
  rt_agent: ['客服', 'Agent'],
  rt_allAgents: ['全部客服', 'All agents'],
  rt_score: ['评价', 'Rating'],
  rt_allScores: ['全部评价', 'All ratings'],
  rt_onlyBad: ['只看差评', 'Bad ones only'],
  rt_search: ['查询', 'Search'],
  rt_export: ['导出 CSV', 'Export CSV'],
  rt_exportFailed: ['导出失败（{status}）', 'Export failed ({status})'],
  rt_time: ['时间', 'Time'],
  rt_comment: ['留言', 'Comment'],
  rt_reasons: ['原因', 'Reasons'],
  rt_allReasons: ['全部原因', 'All reasons'],
  rt_channel: ['渠道', 'Channel'],
  rt_customer: ['客户', 'Customer'],
  rt_empty: ['暂无符合条件的评价。', 'No ratings match.'],
  rt_loadFailed: ['评价加载失败：{err}', 'Could not load the ratings: {err}'],
  rt_more: ['加载更多', 'Load more'],
  rt_bad: ['差评', 'Bad'],
  rt_settings: ['评价设置', 'Rating settings'],
  rt_levels: ['评价等级（从好到差，2–5 级）', 'Levels (best first, 2 to 5)'],
  rt_levelScore: ['分值', 'Score'],
  rt_levelLabel: ['名称', 'Label'],
  rt_levelReasons: ['可选原因（用逗号分隔）', 'Reasons to pick (comma-separated)'],
  rt_addLevel: ['添加等级', 'Add a level'],
  rt_removeLevel: ['删除', 'Remove'],
  rt_invite: ['邀请评价文字（微信、微博、QQ、微信客服；{levels} 会替换为“1 非常满意、2 满意…”，{link} 会替换为评价页链接，不写则另起一行附上）', 'Invitation (WeChat, Weibo, QQ, WeCom; {levels} becomes “1 非常满意、2 满意…”, {link} the rating page’s link, added on its own line when left out)'],
  rt_thanks: ['感谢文字', 'Thanks'],
  rt_autoInviteMoved: ['会话结束时是否自动邀请评价，在每个渠道的设置中开关（渠道 → 编辑）。', 'Whether closing a conversation invites a rating is each channel’s own setting (Channels → Edit).'],
  rt_channelInvite: ['会话结束后邀请评价（回复数字或点击评价链接）', 'Ask for a rating at the end (a number reply or the rating link)'],
  rt_badAt: ['分值不高于此为差评（主管会收到提醒）', 'A score at or below this is bad (supervisors are alerted)'],
  rt_replyMinutes: ['回复数字视为评价的有效时间（分钟）', 'Minutes a number reply counts as the rating'],
  rt_changeMinutes: ['评价后可修改的时间（分钟，0 为不可修改）', 'Minutes a rating can be changed (0: never)'],
  err_rating_levels: ['评价等级须为 2–5 级', 'A scale has 2 to 5 levels'],
  err_rating_scores: ['分值须从高到低排列（5 到 1）', 'Scores must fall from 5 to 1, best first'],
  err_rating_label: ['每个等级都需要 1–20 字的名称', 'Each level needs a label of 1 to 20 characters'],
} as const

addTexts(texts)

export type RatingsKey = keyof typeof texts | MessageKey

// rt translates a ratings-page text (or any text of the main table).
export const rt = (key: RatingsKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
