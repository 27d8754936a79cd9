// The app channel's customer facts (device, traits, push status) beside an
// app conversation, 简体中文 first, English second: they load with the
// facts (their own chunk), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  ap_title: ['App 用户', 'App user'],
  ap_loading: ['正在加载 App 信息…', 'Loading the app details…'],
  ap_failed: ['无法加载 App 信息：{msg}', 'Could not load the app details: {msg}'],
  ap_none: ['该客户未通过 App 识别。', 'This customer has not identified in an app.'],
  ap_state: ['状态', 'Status'],
  ap_online: ['App 在线', 'In the app now'],
  ap_offline: ['App 不在前台（消息将推送）', 'Not in the app (messages are pushed)'],
  ap_platform: ['平台', 'Platform'],
  ap_os: ['系统', 'OS'],
  ap_version: ['App 版本', 'App version'],
  ap_model: ['设备型号', 'Device model'],
  ap_identified: ['最近识别', 'Last identified'],
  ap_traits: ['用户属性', 'Traits'],
  ap_noTraits: ['未上报用户属性。', 'No traits reported.'],
  ap_push: ['推送', 'Push'],
  ap_tokens: ['已注册设备', 'Registered devices'],
  ap_noTokens: ['未注册推送（离线时收不到通知）', 'None (no notifications while away)'],
  ap_lastPush: ['最近推送', 'Last push'],
  ap_never: ['尚未推送', 'None yet'],
  ap_sent: ['已送达 {n}/{m} 台设备', 'Delivered to {n} of {m} devices'],
  ap_removed: ['，已移除 {k} 个失效设备', ', {k} invalid device(s) removed'],
  ap_r_no_token: ['未推送：没有已注册的设备', 'Not sent: no registered device'],
  ap_r_not_configured: ['未推送：渠道未配置推送', 'Not sent: the channel has no push settings'],
  ap_ios: ['iOS', 'iOS'],
  ap_android: ['Android', 'Android'],
  ap_harmony: ['鸿蒙', 'HarmonyOS'],
  ap_web: ['Web', 'Web'],
  ap_miniprogram: ['微信小程序', 'WeChat mini-program'],
} as const

addTexts(texts)

export type AppKey = keyof typeof texts | MessageKey

// at translates an app text (or any text of the main table).
export const at = (key: AppKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
