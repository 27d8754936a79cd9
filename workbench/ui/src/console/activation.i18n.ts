// Deactivating ("deleting") agents and channels in the console, 简体中文
// first, English second: loaded with the console chunk, not the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  ac_deactivate: ['停用', 'Deactivate'],
  ac_reactivate: ['重新启用', 'Reactivate'],
  ac_deactivated: ['已停用', 'Deactivated'],
  ac_agentTitle: ['停用客服 {name}', 'Deactivate agent {name}'],
  ac_agentBody: ['停用后该客服立即退出登录、无法再登录，也不再分配新会话。历史会话、工单和报表中的名字都会保留，之后可以重新启用。', 'They are signed out at once, cannot sign in again and get no new conversations. Their name stays on past conversations, tickets and reports; you can reactivate them later.'],
  ac_openChats: ['TA 当前有 {n} 个进行中的会话，转给：', 'They have {n} open conversations; hand them to:'],
  ac_toQueue: ['放回排队，由系统重新分配', 'The queue (routed again)'],
  ac_agentDone: ['已停用 {name}', '{name} is deactivated'],
  ac_agentBack: ['已重新启用 {name}', '{name} is active again'],
  ac_channelTitle: ['停用渠道 {name}', 'Deactivate channel {name}'],
  ac_channelBody: ['停用后该渠道不再接收新消息：公众号、微博、QQ 等平台的推送会被静默忽略，网页插件显示“服务暂不可用”。历史会话、工单和报表都会保留，之后可以重新启用。', 'The channel takes no new messages: WeChat, Weibo and QQ pushes are quietly ignored and the web widget says the service is unavailable. Past conversations, tickets and reports stay; you can reactivate it later.'],
  ac_channelOff: ['此渠道已停用，不再接收新消息。', 'This channel is deactivated and takes no new messages.'],
  ac_confirmBack: ['确定重新启用 {name}？', 'Reactivate {name}?'],
  act_agent__deactivate: ['停用客服', 'Deactivated an agent'],
  act_agent__reactivate: ['重新启用客服', 'Reactivated an agent'],
  act_channel__deactivate: ['停用渠道', 'Deactivated a channel'],
  act_channel__reactivate: ['重新启用渠道', 'Reactivated a channel'],
} as const

addTexts(texts)

export type ActivationKey = keyof typeof texts | MessageKey

// act translates a deactivation text (or any text of the main table).
export const act = (key: ActivationKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
