// The e-mail channel's texts (邮件): the mailbox form, the connection test,
// the mailbox's state and the notification list. 简体中文 first, English
// second; they load with the console, not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  em_hint: ['绑定企业邮箱：客户发来的邮件自动成为工单，客服的工单回复以邮件发回给客户（保持同一邮件会话）。QQ 邮箱、163 邮箱等需在邮箱设置中开启 SMTP/IMAP，并使用「授权码」作为密码。', 'Bind the company mailbox: customers’ mails become tickets and agents’ ticket replies go back by mail, in the same thread. QQ Mail, 163 and others need SMTP/IMAP turned on and an app password (授权码).'],
  em_send: ['发信（SMTP）', 'Sending (SMTP)'],
  em_receive: ['收信（IMAP，可不填：仅发信）', 'Receiving (IMAP; leave empty to only send)'],
  em_host: ['服务器', 'Server'],
  em_port: ['端口（留空按加密方式默认）', 'Port (empty: by TLS mode)'],
  em_tls: ['加密方式', 'Security'],
  em_tls_ssl: ['SSL/TLS（465 / 993）', 'SSL/TLS (465 / 993)'],
  em_tls_starttls: ['STARTTLS（587 / 143）', 'STARTTLS (587 / 143)'],
  em_tls_none: ['不加密（仅限内网）', 'None (trusted network only)'],
  em_user: ['用户名', 'User name'],
  em_password: ['密码 / 授权码', 'Password / app password'],
  em_fromName: ['发件人名称', 'Sender name'],
  em_fromAddress: ['发件地址', 'Sender address'],
  em_imapUser: ['用户名（留空同发件地址）', 'User name (empty: the sender address)'],
  em_folder: ['文件夹', 'Folder'],
  em_poll: ['收信间隔（秒，30–3600）', 'Check every (seconds, 30–3600)'],
  em_test: ['测试连接', 'Test connection'],
  em_testing: ['正在连接…', 'Connecting…'],
  em_ok: ['连接成功', 'Connected'],
  em_skipped: ['未配置', 'Not set'],
  em_badSmtpHost: ['请填写发信服务器，如 smtp.exmail.qq.com', 'Enter the SMTP server, like smtp.exmail.qq.com'],
  em_badImapHost: ['收信服务器格式不正确，如 imap.exmail.qq.com', 'The IMAP server looks wrong, like imap.exmail.qq.com'],
  em_badFrom: ['请填写正确的发件地址', 'Enter a valid sender address'],
  em_badPort: ['端口须在 1–65535 之间', 'Ports are 1 to 65535'],
  em_badPoll: ['收信间隔须在 30–3600 秒之间', 'Check every 30 to 3600 seconds'],
  em_mailbox: ['邮箱收信', 'Mailbox'],
  em_lastPolled: ['上次收信', 'Last checked'],
  em_nextPoll: ['下次收信', 'Next check'],
  em_pollNow: ['立即收信', 'Check now'],
  em_lastError: ['最近收信错误', 'Last mailbox error'],
  em_polled: ['收到 {n} 封，生成工单消息 {p} 条，忽略 {i} 封（自动回复、退信等）', '{n} fetched, {p} became ticket messages, {i} ignored (auto-replies, bounces …)'],
  em_busy: ['另一台服务器正在收信，请稍后再试', 'Another hub process is checking this mailbox; try again shortly'],
  em_recipients: ['邮件通知人（新工单、新留言）', 'Notify by e-mail (new tickets and left messages)'],
  em_recipientsHint: ['每张新工单会发一封提醒邮件给以下客服和地址。', 'Every new ticket is announced by one mail to these agents and addresses.'],
  em_noRecipients: ['还没有通知人。', 'Nobody is notified yet.'],
  em_addAgent: ['添加客服', 'Add an agent'],
  em_addAddress: ['添加邮箱地址', 'Add an address'],
  em_saveRecipients: ['保存通知人', 'Save recipients'],
  em_loading: ['加载中…', 'Loading…'],
  em_loadFailed: ['加载失败：{err}', 'Could not load: {err}'],
} as const

addTexts(texts)

export type EmailKey = keyof typeof texts | MessageKey

// et translates an e-mail text (or any text of the main table).
export const et = (key: EmailKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
