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
  // the console's app channel form
  ap_formHint: ['在自己的 iOS、Android、鸿蒙、React Native App 或微信小程序中接入客服：App 用 App Key 连接，您的服务器用身份签名密钥为已登录用户签名。', 'Chat inside your own iOS, Android, HarmonyOS or React Native app or WeChat mini-program: the app connects with the App Key, your server signs signed-in users with the identity secret.'],
  ap_identityMode: ['用户身份', 'User identity'],
  ap_id_hmac: ['HMAC：服务器计算 user_hash', 'HMAC: your server computes user_hash'],
  ap_id_jwt: ['JWT：服务器签发短期令牌（HS256）', 'JWT: your server mints a short-lived token (HS256)'],
  ap_id_anonymous: ['允许匿名用户（设备 ID）', 'Anonymous users allowed (device id)'],
  ap_rating: ['会话结束时邀请评价', 'Ask for a rating when a conversation ends'],
  ap_pushTitle: ['离线推送', 'Offline push'],
  ap_pushHint: ['用户不在 App 前台时，客服消息通过以下方式推送；密钥保存后不再显示，留空即保留原值。', 'While the user is away from the app, agent messages are pushed this way; keys are never shown again once saved, and left empty they keep the stored ones.'],
  ap_webhookOn: ['推送到自己的推送服务（签名 Webhook）', 'Push through your own push service (signed webhook)'],
  ap_webhookUrl: ['推送 Webhook 地址', 'Push webhook URL'],
  ap_webhookSecret: ['签名密钥（whsec_…）', 'Signing secret (whsec_…)'],
  ap_fcmOn: ['Firebase Cloud Messaging（Android、鸿蒙、Web）', 'Firebase Cloud Messaging (Android, HarmonyOS, web)'],
  ap_fcmKey: ['服务账号 JSON', 'Service account JSON'],
  ap_apnsOn: ['Apple 推送（APNs，iOS）', 'Apple Push (APNs, iOS)'],
  ap_apnsTeam: ['Team ID', 'Team ID'],
  ap_apnsKey: ['Key ID', 'Key ID'],
  ap_apnsBundle: ['Bundle ID', 'Bundle ID'],
  ap_apnsP8: ['.p8 私钥', '.p8 private key'],
  ap_apnsSandbox: ['开发环境（sandbox）', 'Development (sandbox)'],
  ap_badWebhook: ['推送 Webhook 地址须以 http:// 或 https:// 开头', 'The push webhook URL must start with http:// or https://'],
  ap_badWebhookSecret: ['签名密钥须为 whsec_ 开头的 Base64', 'The signing secret is whsec_ followed by Base64'],
  ap_badFcm: ['请粘贴 Firebase 控制台下载的服务账号 JSON', 'Paste the service account JSON from the Firebase console'],
  ap_badApnsIds: ['Team ID 与 Key ID 均为 10 位大写字母或数字', 'Team ID and Key ID are 10 capital letters or digits'],
  ap_badBundle: ['请填写 App 的 Bundle ID', 'Enter the app’s bundle id'],
  ap_badP8: ['请粘贴 .p8 私钥（-----BEGIN PRIVATE KEY-----…）', 'Paste the .p8 key (-----BEGIN PRIVATE KEY-----…)'],
  ap_setup_app_key: ['App Key（写在 App 中）', 'App Key (goes into the app)'],
  ap_setup_identity_secret: ['身份签名密钥（只放在服务器上）', 'Identity secret (keep it on your server)'],
  ap_setup_base_url: ['服务地址', 'Hub address'],
  ap_note_hmac: ['user_hash = hex(HMAC-SHA256(身份签名密钥, user_id))，由您的服务器计算后交给 App 调用 identify', 'user_hash = hex(HMAC-SHA256(identity secret, user_id)), computed by your server and passed to identify'],
  ap_note_jwt: ['您的服务器用身份签名密钥签发 HS256 JWT：sub 为用户 ID，exp 不超过 1 小时', 'Your server signs an HS256 JWT with the identity secret: sub = user id, exp at most an hour ahead'],
  ap_note_anonymous: ['未登录用户用设备 ID 匿名接入；已登录用户仍可用 user_hash 或 JWT 识别', 'Signed-out users connect anonymously by device id; signed-in users can still identify with user_hash or a JWT'],
  ap_note_rotate: ['更换密钥后，旧密钥仍可使用 24 小时', 'After a rotation the old secret keeps working for 24 hours'],
} as const

addTexts(texts)

export type AppKey = keyof typeof texts | MessageKey

// at translates an app text (or any text of the main table).
export const at = (key: AppKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
