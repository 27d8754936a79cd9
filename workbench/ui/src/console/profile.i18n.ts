// The agent's own settings (个人设置) texts, 简体中文 first, English second:
// they load with the settings page (its own chunk), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  pf_title: ['个人信息', 'My profile'],
  pf_avatar: ['我的头像', 'My avatar'],
  pf_avatarPick: ['更换头像（PNG、JPEG 或 GIF，最大 2 MB）', 'Change avatar (PNG, JPEG or GIF, up to 2 MB)'],
  pf_avatarRemove: ['移除头像', 'Remove avatar'],
  pf_avatarType: ['头像只能是 PNG、JPEG 或 GIF 图片', 'An avatar must be a PNG, JPEG or GIF picture'],
  pf_avatarTooBig: ['头像图片不能超过 2 MB', 'An avatar picture is at most 2 MB'],
  pf_account: ['账号', 'Account'],
  pf_role: ['角色', 'Role'],
  pf_groups: ['所在客服组', 'Groups'],
  pf_noGroups: ['未加入客服组', 'In no group'],
  pf_name: ['昵称（客户看到的名字）', 'Display name (what customers see)'],
  pf_phone: ['手机号码', 'Phone'],
  pf_signature: ['签名（附在工单回复末尾）', 'Signature (added to your ticket replies)'],
  pf_loadFailed: ['个人信息加载失败：{err}', 'Could not load your profile: {err}'],
  pf_saveFailed: ['保存失败：{err}', 'Could not save: {err}'],
  pf_sounds: ['声音与通知', 'Sounds and notices'],
  pf_soundAssigned: ['收到系统分配的会话时提示音', 'A tone when a conversation is assigned to me'],
  pf_soundMessage: ['收到访客消息时提示音', 'A tone when a customer writes'],
  pf_synced: ['以上设置随账号保存，在任何设备登录都生效。', 'These follow your account to every device you sign in on.'],
  pf_auto: ['自动应答', 'Automatic replies'],
  pf_greeting: ['会话分配给我 {n} 秒后自动发送问候语', 'Send my greeting {n} seconds after a conversation is assigned to me'],
  pf_greetingHint: ['{name} 会替换为您的昵称；您先回复了则不发送。', '{name} becomes your display name; not sent if you have already replied.'],
  pf_still: ['访客最后一条消息 {n} 秒后我仍未回复时自动发送', 'Send this when I have not answered a customer for {n} seconds'],
  pf_stillHint: ['开启后代替渠道的“正在为您查询”设置。', 'While on, it replaces the channel’s “still checking” reply.'],
  pf_seconds: ['秒数', 'Seconds'],
  pf_text: ['内容', 'Text'],
  pf_password: ['修改密码', 'Change password'],
  pf_current: ['当前密码', 'Current password'],
  pf_new: ['新密码（至少 8 位）', 'New password (at least 8 characters)'],
  pf_confirm: ['再次输入新密码', 'New password again'],
  pf_mismatch: ['两次输入的新密码不一致', 'The new passwords differ'],
  pf_changed: ['密码已修改，其他设备上的登录已退出。', 'Password changed; your other sign-ins have ended.'],
  pf_change: ['修改密码', 'Change password'],
  err_wrong_current_password: ['当前密码不正确', 'The current password is wrong'],
  err_password_too_short: ['新密码至少 8 位', 'The new password needs at least 8 characters'],
  err_password_unchanged: ['新密码不能与当前密码相同', 'The new password must differ from the current one'],
} as const

addTexts(texts)

export type ProfileKey = keyof typeof texts | MessageKey

// pt translates a settings-page text (or any text of the main table).
export const pt = (key: ProfileKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
