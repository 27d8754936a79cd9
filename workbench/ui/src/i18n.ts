// Minimal i18n: every UI string lives here, 简体中文 first, English second.
import { ref } from 'vue'

const messages = {
  'zh-CN': {
    appTitle: 'Kefu 客服工作台',
    email: '邮箱',
    password: '密码',
    login: '登录',
    loggingIn: '正在登录…',
    logout: '退出',
    loginFailed: '登录失败：{msg}',
    status: '状态',
    online: '在线',
    busy: '忙碌',
    offline: '离线',
    conversations: '会话',
    noConversations: '暂无会话',
    pickConversation: '请选择左侧的会话',
    reply: '回复',
    replyPlaceholder: '输入回复，Enter 发送，Shift+Enter 换行',
    send: '发送',
    close: '结束会话',
    closed: '已结束',
    open: '进行中',
    queued: '排队中',
    connected: '已连接',
    reconnecting: '重新连接中…',
    sendFailed: '发送失败：{msg}',
    pending: '发送中',
    failed: '失败',
    customer: '客户',
    agent: '客服',
    system: '系统',
    unknownCustomer: '访客',
    language: 'English',
  },
  en: {
    appTitle: 'Kefu agent workbench',
    email: 'Email',
    password: 'Password',
    login: 'Log in',
    loggingIn: 'Logging in…',
    logout: 'Log out',
    loginFailed: 'Login failed: {msg}',
    status: 'Status',
    online: 'Online',
    busy: 'Busy',
    offline: 'Offline',
    conversations: 'Conversations',
    noConversations: 'No conversations',
    pickConversation: 'Pick a conversation on the left',
    reply: 'Reply',
    replyPlaceholder: 'Type a reply; Enter sends, Shift+Enter for a new line',
    send: 'Send',
    close: 'Close',
    closed: 'Closed',
    open: 'Open',
    queued: 'Queued',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    sendFailed: 'Send failed: {msg}',
    pending: 'Sending',
    failed: 'Failed',
    customer: 'Customer',
    agent: 'Agent',
    system: 'System',
    unknownCustomer: 'Visitor',
    language: '简体中文',
  },
} as const

export type Locale = keyof typeof messages
export type MessageKey = keyof (typeof messages)['zh-CN']

export const locale = ref<Locale>((localStorage.getItem('kefu.locale') as Locale) || 'zh-CN')

export function setLocale(l: Locale) {
  locale.value = l
  localStorage.setItem('kefu.locale', l)
  document.documentElement.lang = l
}

export function t(key: MessageKey, vars: Record<string, string> = {}): string {
  const s: string = messages[locale.value][key] ?? key
  return s.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '')
}
