// Every UI string of the widget, in 简体中文 (default), 繁體中文 and English.
// The loader imports only L (the launcher), the chat UI only C, so
// each bundle carries just its own strings.
import type { Lang } from './types'

export const LANGS: Lang[] = ['zh-CN', 'zh-TW', 'en']

// pickLang returns the first supported language among the candidates.
export function pickLang(...c: (string | null | undefined)[]): Lang {
  for (const x of c) {
    if (/^en/i.test(x || '')) return 'en'
    if (/^zh-(tw|hk|hant)/i.test(x || '')) return 'zh-TW'
    if (/^zh/i.test(x || '')) return 'zh-CN'
  }
  return 'zh-CN'
}

const l = {
  online: ['在线咨询', '線上諮詢', 'Chat with us'],
  offline: ['留言', '留言', 'Leave a message'],
  error: ['客服暂不可用', '客服暫不可用', 'Chat unavailable'],
}

const c = {
  accept: ['立即咨询', '立即諮詢', 'Chat now'],
  decline: ['稍后再说', '稍後再說', 'Later'],
  close: ['关闭', '關閉', 'Close'],
  placeholder: ['输入消息，Enter 发送', '輸入訊息，Enter 傳送', 'Type a message, Enter to send'],
  send: ['发送', '傳送', 'Send'],
  emoji: ['表情', '表情', 'Emoji'],
  file: ['发送图片或文件', '傳送圖片或檔案', 'Send an image or file'],
  sending: ['发送中…', '傳送中…', 'Sending…'],
  failed: ['发送失败', '傳送失敗', 'Not sent'],
  typing: ['对方正在输入…', '對方正在輸入…', 'Typing…'],
  queue: ['排队中，您前面还有 {n} 位', '排隊中，您前面還有 {n} 位', 'You are number {n} in the queue'],
  joined: ['{name} 为您服务', '{name} 為您服務', '{name} joined the chat'],
  ended: ['会话已结束', '對話已結束', 'The conversation has ended'],
  group: ['请选择咨询类型', '請選擇諮詢類型', 'What can we help you with?'],
  tooBig: ['文件太大（上限 {n}）', '檔案太大（上限 {n}）', 'File too large (max {n})'],
  badType: ['不支持此文件类型', '不支援此檔案類型', 'This file type is not allowed'],
  uploadFail: ['上传失败', '上傳失敗', 'Upload failed'],
  rateTitle: ['请为本次服务评分', '請為本次服務評分', 'How was our service?'],
  comment: ['评价（可选）', '評價（選填）', 'Comment (optional)'],
  submit: ['提交', '提交', 'Submit'],
  rated: ['感谢您的评价！', '感謝您的評價！', 'Thank you for your feedback!'],
  alreadyRated: ['已评价', '已評價', 'Already rated'],
  leaveTitle: ['客服暂时不在线，请留言，我们会尽快联系您', '客服暫時不在線，請留言，我們會盡快聯繫您', 'We are away. Leave a message and we will get back to you.'],
  required: ['必填', '必填', 'Required'],
  badEmail: ['邮箱格式不正确', '電子郵件格式不正確', 'Invalid email address'],
  badTel: ['电话格式不正确', '電話格式不正確', 'Invalid phone number'],
  left: ['留言已提交，我们会尽快联系您', '留言已送出，我們會盡快聯繫您', 'Thanks! Your message has been sent.'],
  name: ['姓名', '姓名', 'Name'],
  phone: ['电话', '電話', 'Phone'],
  email: ['邮箱', '電子郵件', 'Email'],
  message: ['留言内容', '留言內容', 'Message'],
  offlineNote: ['连接已断开，正在重连…', '連線已中斷，正在重新連線…', 'Connection lost, reconnecting…'],
  refused: ['客服暂不可用', '客服暫不可用', 'Chat is unavailable'],
  busyChats: ['当前咨询人数较多，请稍后再试', '目前諮詢人數較多，請稍後再試', 'Many people are waiting right now; please try again later'],
  oops: ['出错了，请稍后再试', '出錯了，請稍後再試', 'Something went wrong; please try again later'],
  busy: ['当前咨询人数较多，稍后将自动为您重新连接', '目前諮詢人數較多，稍後將自動為您重新連線', 'Many people are chatting right now; we will reconnect you shortly'],
  you: ['我', '我', 'You'],
  agent: ['客服', '客服', 'Agent'],
  robot: ['智能助理', '智能助理', 'Assistant'],
  helpful: ['有帮助', '有幫助', 'Helpful'],
  unhelpful: ['没帮助', '沒幫助', 'Not helpful'],
  thanks: ['感谢您的反馈', '感謝您的回饋', 'Thanks for your feedback'],
  human: ['转人工', '轉人工', 'Talk to a person'],
  help: ['帮助中心', '幫助中心', 'Help centre'],
  tooLong: ['消息最多 {max} 字，请删减 {over} 字后发送', '訊息最多 {max} 字，請刪減 {over} 字後傳送', 'Messages are at most {max} characters: remove {over} to send'],
}

type Dict<T> = { [K in keyof T]: string }

function pick<T extends Record<string, string[]>>(d: T, lang: Lang): Dict<T> {
  const i = Math.max(0, LANGS.indexOf(lang))
  const o = {} as Dict<T>
  for (const k in d) o[k] = d[k][i]
  return o
}

export const L = (lang: Lang) => pick(l, lang)
export const C = (lang: Lang) => pick(c, lang)

// fmt fills {name} placeholders.
export function fmt(s: string, v: Record<string, string | number>): string {
  return s.replace(/\{(\w+)\}/g, (_, k) => String(v[k] ?? ''))
}
