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
  lk_title: ['评价链接密钥', 'Rating link keys'],
  lk_hint: ['微信、微博、QQ、微信客服的评价链接由密钥签名。轮换后新链接用新密钥签发，已发出的链接照常可以打开；删除旧密钥后，它签发的链接立即无法打开（密钥泄露时使用）。', 'The rating links sent on WeChat, Weibo, QQ and WeCom are signed with a key. After a rotation new links are signed with the new key and the links already sent keep opening; once an old key is deleted, the links it signed stop opening at once (for a leaked key).'],
  lk_empty: ['还没有密钥：第一次发出评价链接时会自动生成。', 'No key yet: one is made when the first rating link is sent.'],
  lk_loadFailed: ['密钥加载失败：{err}', 'Could not load the keys: {err}'],
  lk_current: ['当前密钥（签发新链接）', 'Current (signs new links)'],
  lk_old: ['旧密钥', 'Old key'],
  lk_created: ['创建于 {at}', 'Made {at}'],
  lk_opensUntil: ['它签发的链接可打开至 {at}', 'Its links open until {at}'],
  lk_rotate: ['轮换密钥', 'Rotate the key'],
  lk_rotated: ['已轮换：新链接将用新密钥签发，旧链接照常可以打开', 'Rotated: new links are signed with the new key; the old links keep opening'],
  lk_deleted: ['已删除旧密钥', 'Old key deleted'],
  lk_deleteTitle: ['删除旧密钥', 'Delete the old key'],
  lk_deleteBody: ['删除密钥 {id} 后，用它签发的评价链接（本可打开至 {at}）将立即无法打开，客户无法再通过这些链接评价。确定删除吗？', 'Once key {id} is deleted, the rating links it signed (which would open until {at}) stop opening at once: customers can no longer rate through them. Delete it?'],
  noun_rating_key: ['评价链接密钥', 'Rating link keys'],
  act_rating_key__rotate: ['轮换评价链接密钥', 'Rotated the rating link key'],
  act_rating_key__delete: ['删除评价链接密钥', 'Deleted a rating link key'],
  err_rating_key_current: ['当前密钥正在签发新链接，不能删除；请先轮换密钥，再删除旧密钥', 'The current key signs new links and cannot be deleted: rotate first, then delete the old key'],
  err_rating_levels: ['评价等级须为 2–5 级', 'A scale has 2 to 5 levels'],
  err_rating_scores: ['分值须从高到低排列（5 到 1）', 'Scores must fall from 5 to 1, best first'],
  err_rating_label: ['每个等级都需要 1–20 字的名称', 'Each level needs a label of 1 to 20 characters'],
} as const

addTexts(texts)

export type RatingsKey = keyof typeof texts | MessageKey

// rt translates a ratings-page text (or any text of the main table).
export const rt = (key: RatingsKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
