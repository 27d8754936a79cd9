// The console's simple lists' empty states (ListAdmin), 简体中文 first,
// English second: they load with the console, not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  la_empty_categories: ['还没有会话分类，在上方添加第一个。', 'No categories yet: add the first one above.'],
  la_empty_canned: ['还没有公共快捷回复，在上方添加第一条。', 'No shared canned replies yet: add the first one above.'],
  la_empty_blacklist: ['黑名单是空的。在会话中可以把客户加入黑名单。', 'The blacklist is empty. Blacklist a customer from a conversation.'],
  la_empty_tokens: ['还没有 API 令牌。', 'No API tokens yet.'],
  la_empty_channels: ['还没有接入渠道。点击上方按钮接入第一个渠道。', 'No channels yet: connect the first one with a button above.'],
  la_empty_failed: ['没有投递失败的消息。', 'No failed messages.'],
} as const

addTexts(texts)

// lt: a list text, or any text of the main table.
export const lt = (key: keyof typeof texts | MessageKey) => t(key as MessageKey)
