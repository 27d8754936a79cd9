// The robot's keyword auto-replies, feedback and knowledge-base import
// texts, 简体中文 first, English second: they load with the knowledge-base
// page (its own chunk), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  rk_title: ['关键词自动回复', 'Keyword auto-replies'],
  rk_hint: ['客户消息命中关键词时，机器人先用规则回答（优先于知识库）；勾选“始终回复”的规则在机器人关闭或人工接待时也会回复。', 'When a customer message matches, the robot answers with the rule before searching the knowledge base; rules marked “always” answer even when the robot is off or a person has the conversation.'],
  rk_empty: ['还没有关键词回复。', 'No keyword replies yet.'],
  rk_loading: ['正在加载关键词回复…', 'Loading keyword replies…'],
  rk_failed: ['无法加载关键词回复：{msg}', 'Could not load the keyword replies: {msg}'],
  rk_new: ['新建关键词回复', 'New keyword reply'],
  rk_edit: ['编辑关键词回复', 'Edit keyword reply'],
  rk_match: ['匹配方式', 'Match'],
  rk_exact: ['完全匹配', 'Exact'],
  rk_contains: ['包含', 'Contains'],
  rk_regex: ['正则表达式', 'Regular expression'],
  rk_pattern: ['关键词', 'Keyword'],
  rk_priority: ['优先级（数字大的先匹配）', 'Priority (higher first)'],
  rk_channel: ['适用渠道', 'Channel'],
  rk_allChannels: ['全部渠道', 'All channels'],
  rk_enabled: ['启用', 'Enabled'],
  rk_always: ['始终回复（机器人关闭时也回复）', 'Always (even when the robot is off)'],
  rk_alwaysBadge: ['始终', 'Always'],
  rk_reply: ['回复内容', 'Reply'],
  rk_card: ['图文链接（微信以图文消息发送）', 'Link card (a news message on WeChat)'],
  rk_cardTitle: ['图文标题', 'Card title'],
  rk_cardDesc: ['图文描述', 'Card description'],
  rk_cardURL: ['链接地址', 'Link URL'],
  rk_cardPic: ['图片地址（可选）', 'Picture URL (optional)'],
  rk_hits: ['命中 {n} 次', '{n} hits'],
  rk_deleteConfirm: ['删除这条关键词回复？', 'Delete this keyword reply?'],
  rk_off: ['已停用', 'Off'],
  rb_provider: ['回答来源', 'Answers from'],
  rb_providerKB: ['知识库', 'The knowledge base'],
  rb_providerWebhook: ['外部机器人（Webhook）', 'An external bot (webhook)'],
  rb_webhookHint: ['机器人把客户问题 POST 到该地址（Standard Webhooks 签名）；超时或出错时改用知识库回答。', 'The robot POSTs each question to this address (Standard Webhooks signed); on a timeout or an error the knowledge base answers.'],
  rb_webhookURL: ['机器人地址（https://）', 'Bot URL (https://)'],
  rb_timeout: ['超时（毫秒，最多 10000）', 'Timeout (ms, at most 10000)'],
  rb_secret: ['签名密钥（保存后生成）', 'Signing secret (made on save)'],
  kb_export: ['导出 CSV', 'Export CSV'],
  kb_import: ['导入 CSV', 'Import CSV'],
  kb_csvHint: ['列：标准问题、相似问法（用 | 分隔）、答案、分类、标签、启用；按标准问题更新已有条目。', 'Columns: 标准问题, 相似问法 (| separated), 答案, 分类, 标签, 启用; rows with an existing standard question update it.'],
  kb_imported: ['导入完成：新增 {created} 条，更新 {updated} 条，失败 {failed} 条', 'Imported: {created} added, {updated} updated, {failed} failed'],
  kb_rowError: ['第 {row} 行：{msg}', 'Row {row}: {msg}'],
  rb_stats: ['近 30 天：机器人接待 {engaged} 个会话，独立解决 {resolved}，进行中 {active}，转人工 {handed}；回答有帮助 {helpful}，没帮助 {unhelpful}', 'Last 30 days: the robot took {engaged} conversations, resolved {resolved} alone, {active} ongoing, {handed} handed over; answers rated helpful {helpful}, not helpful {unhelpful}'],
  rk_ratings: ['有帮助 {helpful} · 没帮助 {unhelpful}', 'Helpful {helpful} · Not helpful {unhelpful}'],
} as const

addTexts(texts)

export type RobotKey = keyof typeof texts | MessageKey

// rt translates a robot text (or any text of the main table).
export const rt = (key: RobotKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
