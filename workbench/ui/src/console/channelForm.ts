// Channel forms: the editable shape per type and the checks the browser can
// make before the hub does (the hub validates again and has the last word).
export interface WebCfg {
  allowed_domains: string
  title: string
  color: string
  logo_url: string
  position: string
  default_lang: string
  languages: string[]
  groups: { id: string; label: string }[]
  rating: boolean
  offline_fields: { name: string; label: string; type: string; required: boolean }[]
  invite: { enabled: boolean; after_seconds: number; max_times: number; decline_interval_seconds: number; text: string }
  identity_required: boolean
  help_centre: boolean
  upload_max_kb: number
  upload_types: string
  // caps on active conversations (anonymous visitors per address, the channel)
  open_per_address: number
  open_per_channel: number
}
// AppCfg is the app channel's form: how users identify, the rating form,
// and the push senders (their keys are write-only: left empty on edit, the
// stored ones are kept).
export interface AppCfg {
  identity: 'hmac' | 'jwt' | 'anonymous'
  rating: boolean
  webhook_on: boolean
  webhook_url: string
  webhook_secret: string
  fcm_on: boolean
  fcm_service_account: string
  apns_on: boolean
  apns_team_id: string
  apns_key_id: string
  apns_bundle_id: string
  apns_p8: string
  apns_sandbox: boolean
}
// EmailCfg is the mailbox form (邮件): the passwords are write-only (left
// empty on edit, the stored ones are kept); no IMAP host: send only.
export interface EmailCfg {
  smtp_host: string
  smtp_port: number | ''
  smtp_tls: 'ssl' | 'starttls' | 'none'
  smtp_user: string
  smtp_password: string
  from_name: string
  from_address: string
  imap_host: string
  imap_port: number | ''
  imap_tls: 'ssl' | 'starttls' | 'none'
  imap_user: string
  imap_password: string
  imap_folder: string
  poll_seconds: number
}
export interface ChannelForm {
  type: 'api' | 'wechat' | 'weibo' | 'qq' | 'wecom_kf' | 'web' | 'app' | 'email'
  name: string
  default_group_id: string
  offline_message: string
  callback_url: string
  app_id: string
  app_secret: string
  token: string
  encoding_aes_key: string
  mode: string
  welcome_message: string
  // WeChat, Weibo, QQ, WeCom: invite to rate when a conversation closes
  rating: boolean
  // Weibo (app_secret above is shared with WeChat's form)
  app_key: string
  access_token: string
  uid: string
  // WeCom 微信客服 (app_secret above holds its Secret; token,
  // encoding_aes_key and welcome_message are shared with WeChat's form)
  corp_id: string
  open_kfid: string
  web: WebCfg
  app: AppCfg
  email: EmailCfg
}

export function blankForm(type: ChannelForm['type'] = 'api'): ChannelForm {
  return {
    type,
    name: '',
    default_group_id: '',
    offline_message: '',
    callback_url: '',
    app_id: '',
    app_secret: '',
    token: '',
    encoding_aes_key: '',
    mode: 'safe',
    welcome_message: '',
    rating: true,
    app_key: '',
    access_token: '',
    uid: '',
    corp_id: '',
    open_kfid: '',
    web: {
      allowed_domains: '',
      title: '',
      color: '#0958d9',
      logo_url: '',
      position: 'right',
      default_lang: 'zh-CN',
      languages: ['zh-CN', 'en'],
      groups: [],
      rating: true,
      offline_fields: [
        { name: 'name', label: '姓名', type: 'text', required: false },
        { name: 'phone', label: '电话', type: 'tel', required: true },
      ],
      invite: { enabled: false, after_seconds: 30, max_times: 2, decline_interval_seconds: 600, text: '' },
      identity_required: false,
      help_centre: false,
      upload_max_kb: 10240,
      upload_types: 'image/*, application/pdf',
      open_per_address: 10,
      open_per_channel: 1000,
    },
    app: {
      identity: 'hmac',
      rating: true,
      webhook_on: false,
      webhook_url: '',
      webhook_secret: '',
      fcm_on: false,
      fcm_service_account: '',
      apns_on: false,
      apns_team_id: '',
      apns_key_id: '',
      apns_bundle_id: '',
      apns_p8: '',
      apns_sandbox: false,
    },
    email: {
      smtp_host: '',
      smtp_port: '',
      smtp_tls: 'ssl',
      smtp_user: '',
      smtp_password: '',
      from_name: '',
      from_address: '',
      imap_host: '',
      imap_port: '',
      imap_tls: 'ssl',
      imap_user: '',
      imap_password: '',
      imap_folder: 'INBOX',
      poll_seconds: 60,
    },
  }
}

export function formFromChannel(c: { type: string; name: string; config: any; default_group_id: string | null; offline_message: string }): ChannelForm {
  const f = blankForm(c.type as ChannelForm['type'])
  f.name = c.name
  f.default_group_id = c.default_group_id ?? ''
  f.offline_message = c.offline_message
  const cfg = c.config ?? {}
  f.callback_url = cfg.callback_url ?? ''
  f.app_id = cfg.app_id ?? ''
  f.mode = cfg.mode ?? 'safe'
  f.welcome_message = cfg.welcome_message ?? ''
  f.rating = cfg.rating !== false
  f.app_key = cfg.app_key ?? ''
  f.uid = cfg.uid ?? ''
  f.corp_id = cfg.corp_id ?? ''
  f.open_kfid = cfg.open_kfid ?? ''
  if (c.type === 'app') {
    const a = f.app
    const push = cfg.push ?? {}
    a.identity = cfg.identity ?? 'hmac'
    a.rating = !!cfg.rating
    a.webhook_on = !!push.webhook
    a.webhook_url = push.webhook?.url ?? ''
    a.fcm_on = !!push.fcm
    a.apns_on = !!push.apns
    a.apns_team_id = push.apns?.team_id ?? ''
    a.apns_key_id = push.apns?.key_id ?? ''
    a.apns_bundle_id = push.apns?.bundle_id ?? ''
    a.apns_sandbox = !!push.apns?.sandbox
  }
  if (c.type === 'email') {
    const m = f.email
    for (const k of ['smtp_host', 'smtp_user', 'from_name', 'from_address', 'imap_host', 'imap_user', 'imap_folder'] as const) m[k] = cfg[k] ?? m[k]
    m.smtp_port = cfg.smtp_port || ''
    m.imap_port = cfg.imap_port || ''
    m.smtp_tls = cfg.smtp_tls || 'ssl'
    m.imap_tls = cfg.imap_tls || 'ssl'
    m.poll_seconds = cfg.poll_seconds || 60
  }
  if (c.type === 'web') {
    const w = f.web
    w.allowed_domains = (cfg.allowed_domains ?? []).join('\n')
    w.title = cfg.title ?? ''
    w.color = cfg.color ?? w.color
    w.logo_url = cfg.logo_url ?? ''
    w.position = cfg.position ?? 'right'
    w.default_lang = cfg.default_lang ?? 'zh-CN'
    w.languages = cfg.languages ?? w.languages
    w.groups = (cfg.groups ?? []).map((g: any) => ({ ...g }))
    w.rating = !!cfg.rating
    w.offline_fields = (cfg.offline_form?.fields ?? []).map((x: any) => ({ ...x }))
    w.invite = { ...w.invite, ...(cfg.invite ?? {}) }
    w.identity_required = !!cfg.identity_required
    w.help_centre = !!cfg.help_centre
    w.upload_max_kb = cfg.upload?.max_bytes ? Math.round(cfg.upload.max_bytes / 1024) : w.upload_max_kb
    w.upload_types = (cfg.upload?.types ?? []).join(', ') || w.upload_types
    w.open_per_address = cfg.limits?.open_per_address || w.open_per_address
    w.open_per_channel = cfg.limits?.open_per_channel || w.open_per_channel
  }
  return f
}

const lines = (s: string) =>
  s
    .split(/[\n,，\s]+/)
    .map((x) => x.trim())
    .filter(Boolean)

export function configOf(f: ChannelForm, isNew: boolean): any {
  switch (f.type) {
    case 'api':
      return { callback_url: f.callback_url.trim() }
    case 'wechat': {
      const c: any = { app_id: f.app_id.trim(), mode: f.mode, welcome_message: f.welcome_message, rating: f.rating }
      if (f.app_secret || isNew) c.app_secret = f.app_secret.trim()
      if (f.token) c.token = f.token.trim()
      if (f.encoding_aes_key) c.encoding_aes_key = f.encoding_aes_key.trim()
      return c
    }
    case 'weibo': {
      // secrets left empty on edit keep their stored value
      const c: any = { app_key: f.app_key.trim(), uid: f.uid.trim(), rating: f.rating }
      if (f.app_secret || isNew) c.app_secret = f.app_secret.trim()
      if (f.access_token || isNew) c.access_token = f.access_token.trim()
      return c
    }
    case 'qq': {
      // the AppSecret left empty on edit keeps its stored value
      const c: any = { app_id: f.app_id.trim(), rating: f.rating }
      if (f.app_secret || isNew) c.app_secret = f.app_secret.trim()
      return c
    }
    case 'wecom_kf': {
      // the Secret, Token and EncodingAESKey left empty keep their stored value (the hub makes Token and key when new)
      const c: any = { corp_id: f.corp_id.trim(), open_kfid: f.open_kfid.trim(), welcome_message: f.welcome_message, rating: f.rating }
      if (f.app_secret || isNew) c.secret = f.app_secret.trim()
      if (f.token) c.token = f.token.trim()
      if (f.encoding_aes_key) c.encoding_aes_key = f.encoding_aes_key.trim()
      return c
    }
    case 'app': {
      // keys left empty keep the stored ones (the hub keeps them sealed)
      const a = f.app
      const push: any = {}
      if (a.webhook_on) push.webhook = { url: a.webhook_url.trim(), ...(a.webhook_secret ? { secret: a.webhook_secret.trim() } : {}) }
      if (a.fcm_on) push.fcm = a.fcm_service_account.trim() ? { service_account_json: a.fcm_service_account.trim() } : {}
      if (a.apns_on)
        push.apns = {
          team_id: a.apns_team_id.trim(),
          key_id: a.apns_key_id.trim(),
          bundle_id: a.apns_bundle_id.trim(),
          sandbox: a.apns_sandbox,
          ...(a.apns_p8.trim() ? { private_key_p8: a.apns_p8.trim() } : {}),
        }
      return { identity: a.identity, rating: a.rating, push: Object.keys(push).length ? push : null }
    }
    case 'email':
      return emailConfig(f.email)
    case 'web': {
      const w = f.web
      return {
        allowed_domains: lines(w.allowed_domains),
        title: w.title,
        color: w.color,
        logo_url: w.logo_url.trim(),
        position: w.position,
        default_lang: w.default_lang,
        languages: w.languages,
        groups: w.groups.map((g) => ({ id: g.id, label: g.label.trim() })),
        rating: w.rating,
        offline_form: { fields: w.offline_fields.filter((x) => x.name) },
        invite: {
          ...w.invite,
          after_seconds: Number(w.invite.after_seconds) || 0,
          max_times: Number(w.invite.max_times) || 0,
          decline_interval_seconds: Number(w.invite.decline_interval_seconds) || 0,
        },
        identity_required: w.identity_required,
        help_centre: w.help_centre,
        upload: { max_bytes: Math.round(Number(w.upload_max_kb) * 1024) || 0, types: lines(w.upload_types) },
        limits: { open_per_address: Math.round(Number(w.open_per_address)) || 0, open_per_channel: Math.round(Number(w.open_per_channel)) || 0 },
      }
    }
  }
}

// emailConfig is the mailbox's config as the hub takes it (also what the
// connection test sends); empty passwords are left out (kept on edit).
export function emailConfig(m: EmailCfg): any {
  const c: any = {
    smtp_host: m.smtp_host.trim(),
    smtp_tls: m.smtp_tls,
    smtp_user: m.smtp_user.trim(),
    from_name: m.from_name.trim(),
    from_address: m.from_address.trim(),
    imap_host: m.imap_host.trim(),
  }
  if (m.smtp_port) c.smtp_port = Number(m.smtp_port)
  if (m.smtp_password) c.smtp_password = m.smtp_password
  if (c.imap_host) {
    Object.assign(c, { imap_tls: m.imap_tls, imap_user: m.imap_user.trim(), imap_folder: m.imap_folder.trim(), poll_seconds: Number(m.poll_seconds) || 60 })
    if (m.imap_port) c.imap_port = Number(m.imap_port)
    if (m.imap_password) c.imap_password = m.imap_password
  }
  return c
}

const hostRe = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i
const portOk = (p: number | '') => p === '' || (Number.isInteger(Number(p)) && Number(p) >= 1 && Number(p) <= 65535)

// validate returns the message keys of what is wrong (empty: fine).
export function validate(f: ChannelForm, isNew: boolean): string[] {
  const errs: string[] = []
  if (!f.name.trim()) errs.push('nameRequired')
  if (f.type === 'api' && f.callback_url.trim() && !/^https?:\/\/[^\s/]+/.test(f.callback_url.trim())) errs.push('badCallback')
  if (f.type === 'wechat') {
    if (!/^wx[0-9a-zA-Z]{16}$/.test(f.app_id.trim())) errs.push('badAppId')
    if ((isNew || f.app_secret) && !/^[0-9a-zA-Z]{32}$/.test(f.app_secret.trim())) errs.push('badAppSecret')
    if (f.token && !/^[0-9a-zA-Z]{3,32}$/.test(f.token.trim())) errs.push('badToken')
    if (f.encoding_aes_key && !/^[0-9a-zA-Z]{43}$/.test(f.encoding_aes_key.trim())) errs.push('badAesKey')
  }
  if (f.type === 'weibo') {
    if (!/^[0-9]{4,20}$/.test(f.app_key.trim())) errs.push('badAppKey')
    if ((isNew || f.app_secret) && !/^[0-9a-zA-Z]{8,64}$/.test(f.app_secret.trim())) errs.push('badWeiboSecret')
    if ((isNew || f.access_token) && !/^[A-Za-z0-9._-]{8,256}$/.test(f.access_token.trim())) errs.push('badAccessToken')
    if (!/^[1-9][0-9]{0,18}$/.test(f.uid.trim())) errs.push('badUid')
  }
  if (f.type === 'qq') {
    if (!/^[0-9]{4,20}$/.test(f.app_id.trim())) errs.push('badQQAppId')
    if ((isNew || f.app_secret) && !/^[0-9a-zA-Z]{8,128}$/.test(f.app_secret.trim())) errs.push('badQQSecret')
  }
  if (f.type === 'wecom_kf') {
    if (!/^[0-9a-zA-Z]{6,64}$/.test(f.corp_id.trim())) errs.push('badCorpId')
    if ((isNew || f.app_secret) && !/^[0-9a-zA-Z_-]{8,128}$/.test(f.app_secret.trim())) errs.push('badKfSecret')
    if (!/^[0-9a-zA-Z_-]{4,64}$/.test(f.open_kfid.trim())) errs.push('badOpenKfId')
    if (f.token && !/^[0-9a-zA-Z]{3,32}$/.test(f.token.trim())) errs.push('badToken')
    if (f.encoding_aes_key && !/^[0-9a-zA-Z]{43}$/.test(f.encoding_aes_key.trim())) errs.push('badAesKey')
  }
  if (f.type === 'app') {
    const a = f.app
    if (a.webhook_on && !/^https?:\/\/[^\s/]+/.test(a.webhook_url.trim())) errs.push('ap_badWebhook')
    if (a.webhook_on && isNew && !/^whsec_[A-Za-z0-9+/=]{16,}$/.test(a.webhook_secret.trim())) errs.push('ap_badWebhookSecret')
    if (a.fcm_on && isNew && !a.fcm_service_account.trim().startsWith('{')) errs.push('ap_badFcm')
    if (a.apns_on && (!/^[A-Z0-9]{10}$/.test(a.apns_team_id.trim()) || !/^[A-Z0-9]{10}$/.test(a.apns_key_id.trim()))) errs.push('ap_badApnsIds')
    if (a.apns_on && !a.apns_bundle_id.trim()) errs.push('ap_badBundle')
    if (a.apns_on && isNew && !a.apns_p8.includes('PRIVATE KEY')) errs.push('ap_badP8')
  }
  if (f.type === 'email') {
    const m = f.email
    if (!hostRe.test(m.smtp_host.trim())) errs.push('em_badSmtpHost')
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(m.from_address.trim())) errs.push('em_badFrom')
    if (m.imap_host.trim() && !hostRe.test(m.imap_host.trim())) errs.push('em_badImapHost')
    if (!portOk(m.smtp_port) || !portOk(m.imap_port)) errs.push('em_badPort')
    if (m.imap_host.trim() && (Number(m.poll_seconds) < 30 || Number(m.poll_seconds) > 3600)) errs.push('em_badPoll')
  }
  if (f.type === 'web') {
    const w = f.web
    const doms = lines(w.allowed_domains)
    if (!doms.length) errs.push('domainsRequired')
    else if (doms.some((d) => !/^(https?:\/\/)?(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d+)?$/i.test(d))) errs.push('badDomain')
    if (!/^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(w.color)) errs.push('badColor')
    if (w.groups.some((g) => !g.id || !g.label.trim() || g.label.trim().length > 30)) errs.push('groupChoiceIncomplete')
    if (w.logo_url.trim() && !/^https:\/\/[^\s/]+/.test(w.logo_url.trim())) errs.push('badLogo')
    if (!w.languages.length || !w.languages.includes(w.default_lang)) errs.push('badLangs')
    const names = w.offline_fields.map((x) => x.name)
    if (names.some((n) => !/^[a-z0-9_]+$/.test(n)) || new Set(names).size !== names.length) errs.push('badFormFields')
    if ([w.invite.after_seconds, w.invite.max_times, w.invite.decline_interval_seconds].some((n) => Number(n) < 0)) errs.push('badInvite')
  }
  return errs
}
