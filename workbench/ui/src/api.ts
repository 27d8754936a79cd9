// REST client for the documented /api/v1 surface. The session token lives
// in sessionStorage: it dies with the tab and is never sent as a cookie.
const TOKEN_KEY = 'kefu.token'

// Profile is what an agent sets for themselves (GET/PUT /me/profile).
export interface Timed {
  enabled: boolean
  after_seconds: number
  text: string
}
export interface Profile {
  phone: string
  signature: string
  notify: { sound_assigned: boolean; sound_message: boolean; desktop: boolean }
  greeting: Timed
  still_checking: Timed
}
export interface ProfileView {
  name: string
  email: string
  employee_no: string
  role: string
  groups: string[]
  profile: Profile
  avatar_url?: string
}

export interface Agent {
  id: string
  name: string
  email: string
  role: string
  status: string
  employee_no?: string
  max_chats?: number
  current_chats?: number
  disabled?: boolean
  require_totp?: boolean
  totp_enabled?: boolean
  totp_setup_required?: boolean
  groups?: string[]
  superadmin?: boolean
}
export interface Contact {
  id: string
  name: string
  external_id: string
  channel_id?: string
  company?: string
  phone?: string
  email?: string
  qq?: string
  wechat?: string
  notes?: string
  custom?: Record<string, string>
  tags?: string[]
  source?: string
}
export interface ReplyWindow {
  open: boolean
  reason?: string
  expires_at?: string
  remaining?: number
  max?: number
  message?: string
}
export interface Conversation {
  id: string
  channel_id: string
  channel_type?: string
  contact_id?: string
  group_id?: string | null
  status: string
  assignee_id: string | null
  last_seq: number
  updated_at: string
  created_at?: string
  queued_at?: string
  last_message_at?: string
  close_reason?: string
  category_id?: string
  contact?: Contact
  reply_window?: ReplyWindow
  visitor_id?: string
  // on lists: what the customer or an agent last wrote (≤120 chars)
  last_message?: LastMessage
  // on a single read, once the customer rated the conversation
  rating?: Rating
}
export interface LastMessage {
  seq: number
  direction: string
  type: string
  text: string
}
export interface Rating {
  score: number
  comment?: string
  reasons?: string[]
  created_at?: string
}
// QueuedConversation is one row of GET /queue.
export interface QueuedConversation extends Conversation {
  waiting_seconds?: number
  can_pick_up?: boolean
  group_name?: string
  position?: number
}
export interface Attachment {
  url: string
  name?: string
  type?: string
  size?: number
}
export interface Message {
  id: string
  conversation_id: string
  seq: number
  direction: string
  sender_type: string
  sender_id?: string
  type: string
  text: string
  status: string
  client_id?: string
  attachments?: Attachment[]
  error?: string
  created_at: string
}
export interface Group {
  id: string
  name: string
  agent_ids: string[]
  settings?: any
}
export interface Channel {
  id: string
  type: string
  name: string
  config: any
  default_group_id: string | null
  offline_message: string
  last_inbound_at: string | null
  last_error: string
  webhook_url: string
  setup: any
  last_delivery_error_at?: string | null
  deliveries_failed_24h?: number
  secret?: string
  disabled?: boolean
}
export interface Ticket {
  id: string
  channel_id: string
  contact_id: string
  conversation_id: string
  status: string
  assignee_id: string | null
  subject: string
  created_at: string
  updated_at: string
  messages?: { id: string; seq: number; text: string; type: string; created_at: string; direction?: string; author?: string; kind?: string }[]
  comments?: { id?: string; text: string; agent_id?: string; created_at: string }[]
}
export interface Canned {
  id: string
  title?: string
  text: string
  category?: string
  shared: boolean
  owner_agent_id?: string | null
}
export interface Category {
  id: string
  name: string
}
// AppProfile is the app user behind a customer (the app channel): what the
// SDK reported, the identified traits and how pushes to them fare.
export interface AppProfile {
  channel_id: string
  contact_id: string
  online: boolean
  traits: Record<string, string | number | boolean | null>
  platform: string
  os: string
  app_version: string
  model: string
  identified_at: string
  push_result: string
  push_at: string | null
  push_tokens: { platform: string; provider: string; token_tail: string; created_at: string }[]
}
export interface Visitor {
  id: string
  channel_id?: string
  state: string
  visits?: number
  entered_at?: string
  last_seen_at?: string
  ip?: string
  region?: string
  engine?: string
  keyword?: string
  page_url?: string
  page_title?: string
  referrer?: string
  browser?: string
  os?: string
  online?: boolean
  name?: string
  conversation_id?: string
  contact_external_id?: string
  dwell_seconds?: number
  pages?: { url: string; title?: string; seen_at?: string }[]
}

// AuditEntry is one line of the audit log (GET /audit).
export interface AuditEntry {
  id: string
  at: string
  actor_id: string
  actor_name: string
  address: string
  action: string
  target_type: string
  target_id: string
  detail: string
}
export interface AuditFilter {
  actor?: string
  action?: string
  target?: string
  from?: string
  to?: string
}
// Session is one login of an agent, as admins see it.
export interface Session {
  id: string
  agent_id: string
  created_at: string
  last_seen_at: string
  expires_at: string
  addr: string
  user_agent: string
}

export class APIError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public body: any = {},
  ) {
    super(message)
  }
}

export function getToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) || ''
}
export function setToken(tok: string) {
  if (tok) sessionStorage.setItem(TOKEN_KEY, tok)
  else sessionStorage.removeItem(TOKEN_KEY)
}

export async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  const tok = getToken()
  if (tok) headers['Authorization'] = 'Bearer ' + tok
  let payload: BodyInit | undefined
  if (body instanceof FormData) payload = body
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const res = await fetch('/api/v1' + path, { method, headers, body: payload })
  if (!res.ok) throw await refused(res)
  return res.json().catch(() => ({})) as Promise<T>
}

// refused is the APIError of a failed answer, with the hub's JSON error
// (its reason and params) when there is one.
export async function refused(res: Response): Promise<APIError> {
  const data = await res.json().catch(() => ({}))
  const e = data?.error ?? {}
  return new APIError(res.status, e.code ?? 'http_' + res.status, e.message ?? res.statusText, data)
}

// missing reports an answer that means "this endpoint is not there (yet)":
// the panel that needs it hides itself.
export function missing(e: unknown): boolean {
  return e instanceof APIError && (e.status === 404 || e.status === 405)
}

// fetchBlob loads a hub-stored attachment (it needs the bearer token) and
// returns an object URL for <img>/<a download>.
export async function fetchBlob(url: string): Promise<string> {
  if (!url.startsWith('/api/v1/')) return url
  const res = await fetch(url, { headers: { Authorization: 'Bearer ' + getToken() } })
  if (!res.ok) throw await refused(res)
  return URL.createObjectURL(await res.blob())
}

const enc = encodeURIComponent
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? '?' + s : ''
}

export const api = {
  login: (email: string, password: string, totp?: string) =>
    call<{ token: string; agent: Agent; totp_setup_required?: boolean }>('POST', '/auth/login', totp ? { email, password, totp } : { email, password }),
  logout: () => call('POST', '/auth/logout'),
  me: () => call<Agent>('GET', '/me'),
  setStatus: (status: string) => call<{ status: string }>('PUT', '/me/status', { status }),
  profile: () => call<ProfileView>('GET', '/me/profile'),
  putProfile: (p: Profile & { name?: string }) => call<ProfileView>('PUT', '/me/profile', p),
  setAvatar: (f: File) => {
    const fd = new FormData()
    fd.append('file', f)
    return call<{ avatar_url: string }>('POST', '/me/avatar', fd)
  },
  removeAvatar: () => call('DELETE', '/me/avatar'),
  changePassword: (current_password: string, new_password: string) => call('POST', '/me/password', { current_password, new_password }),
  read: (id: string, seq: number) => call('POST', '/conversations/' + id + '/read', { seq }),
  totpSetup: () => call<{ secret: string; otpauth_url?: string; uri?: string; url?: string }>('POST', '/me/totp/setup', {}),
  totpEnable: (code: string) => call('POST', '/me/totp/enable', { code }),
  totpDisable: (code: string) => call('POST', '/me/totp/disable', { code }),

  conversations: (q: Record<string, any> = {}) => call<{ conversations: Conversation[] }>('GET', '/conversations' + qs({ limit: 200, ...q })),
  conversation: (id: string) => call<Conversation>('GET', '/conversations/' + enc(id)),
  messages: (id: string, afterSeq = 0) =>
    call<{ messages: Message[] }>('GET', `/conversations/${enc(id)}/messages?after_seq=${afterSeq}&limit=500`),
  messagesBefore: (id: string, before: number, limit = 50) =>
    call<{ messages: Message[] }>('GET', `/conversations/${enc(id)}/messages?before=${before}&limit=${limit}`),
  reply: (id: string, content: string, clientMessageId: string, attachments?: Attachment[]) =>
    call<Message>('POST', `/conversations/${enc(id)}/messages`, {
      content,
      client_message_id: clientMessageId,
      ...(attachments?.length ? { attachments, type: attachments[0].type?.startsWith('image/') ? 'image' : 'file' } : {}),
    }),
  note: (id: string, text: string) => call<Message>('POST', `/conversations/${enc(id)}/notes`, { text }),
  close: (id: string, categoryId?: string) =>
    call<Conversation>('POST', `/conversations/${enc(id)}/close`, categoryId ? { category_id: categoryId } : {}),
  transfer: (id: string, body: { agent_id?: string; group_id?: string; reason?: string }) =>
    call<Conversation>('POST', `/conversations/${enc(id)}/transfer`, body),
  pickup: (id: string) => call<Conversation>('POST', `/conversations/${enc(id)}/pickup`, {}),
  blacklistConv: (id: string, reason: string) => call('POST', `/conversations/${enc(id)}/blacklist`, { reason }),
  ratingRequest: (id: string) => call('POST', `/conversations/${enc(id)}/rating-request`, {}),
  typing: (id: string, typing: boolean) => call('POST', `/conversations/${enc(id)}/typing`, { typing }),
  exportUrl: (id: string, format: string) => `/api/v1/conversations/${enc(id)}/export?format=${format}`,
  queue: () => call<{ queue: QueuedConversation[] }>('GET', '/queue'),
  upload: (f: File) => {
    const fd = new FormData()
    fd.append('file', f)
    return call<{ id: string; url: string; name: string; type: string; size: number }>('POST', '/attachments', fd)
  },

  canned: (q: Record<string, any> = {}) => call<{ canned_replies: Canned[] }>('GET', '/canned-replies' + qs(q)),
  cannedCategories: () => call<{ categories: string[] }>('GET', '/canned-replies/categories'),
  createCanned: (b: Partial<Canned>) => call<Canned>('POST', '/canned-replies', b),
  updateCanned: (id: string, b: Partial<Canned>) => call<Canned>('PATCH', '/canned-replies/' + enc(id), b),
  deleteCanned: (id: string) => call('DELETE', '/canned-replies/' + enc(id)),

  categories: () => call<{ categories: Category[] }>('GET', '/categories'),
  createCategory: (name: string) => call<Category>('POST', '/categories', { name }),
  deleteCategory: (id: string) => call('DELETE', '/categories/' + enc(id)),

  blacklist: () => call<{ blacklist: any[] }>('GET', '/blacklist'),
  unblacklist: (id: string) => call('DELETE', '/blacklist/' + enc(id)),

  contact: (id: string) => call<Contact>('GET', '/contacts/' + enc(id)),
  updateContact: (id: string, b: Partial<Contact>) => call<Contact>('PATCH', '/contacts/' + enc(id), b),
  contactConversations: (id: string) => call<{ conversations: Conversation[] }>('GET', `/contacts/${enc(id)}/conversations`),
  contactTickets: (id: string) => call<{ tickets: Ticket[] }>('GET', `/contacts/${enc(id)}/tickets`),
  contactApp: (id: string) => call<{ app: AppProfile | null }>('GET', `/contacts/${enc(id)}/app`),

  visitors: (q: Record<string, any> = {}) => call<{ visitors: Visitor[] }>('GET', '/visitors' + qs(q)),
  visitor: (id: string) => call<Visitor>('GET', '/visitors/' + enc(id)),
  invite: (id: string, text: string) => call('POST', `/visitors/${enc(id)}/invite`, { text }),
  proactiveChat: (id: string, text: string) => call<Conversation>('POST', `/visitors/${enc(id)}/chat`, { text }),

  tickets: (q: Record<string, any> = {}) => call<{ tickets: Ticket[] }>('GET', '/tickets' + qs(q)),
  ticket: (id: string) => call<Ticket>('GET', '/tickets/' + enc(id)),
  assignTicket: (id: string, agentId: string) => call<Ticket>('POST', `/tickets/${enc(id)}/assign`, { agent_id: agentId }),
  solveTicket: (id: string) => call<Ticket>('POST', `/tickets/${enc(id)}/solve`, {}),
  replyTicket: (id: string, text: string) => call<Ticket>('POST', `/tickets/${enc(id)}/reply`, { text }),
  commentTicket: (id: string, text: string) => call<Ticket>('POST', `/tickets/${enc(id)}/comments`, { text }),

  agents: () => call<{ agents: Agent[] }>('GET', '/agents'),
  avatars: () => call<{ avatars: Record<string, string> }>('GET', '/avatars'),
  createAgent: (b: any) => call<Agent>('POST', '/agents', b),
  updateAgent: (id: string, b: any) => call<Agent>('PATCH', '/agents/' + enc(id), b),
  resetPassword: (id: string) => call<{ password?: string }>('POST', `/agents/${enc(id)}/reset-password`, {}),
  agentSessions: (id: string) => call<{ sessions: Session[] }>('GET', `/agents/${enc(id)}/sessions`),
  endAgentSession: (id: string, sid: string) => call<{ ended: number }>('DELETE', `/agents/${enc(id)}/sessions/${enc(sid)}`),
  endAgentSessions: (id: string) => call<{ ended: number }>('DELETE', `/agents/${enc(id)}/sessions`),
  groups: () => call<{ groups: Group[] }>('GET', '/groups'),
  createGroup: (b: any) => call<Group>('POST', '/groups', b),
  updateGroup: (id: string, b: any) => call<Group>('PATCH', '/groups/' + enc(id), b),

  channels: () => call<{ channels: Channel[] }>('GET', '/channels'),
  channel: (id: string) => call<{ channel: Channel; health: any }>('GET', '/channels/' + enc(id)),
  createChannel: (b: any) => call<Channel>('POST', '/channels', b),
  updateChannel: (id: string, b: any) => call<Channel>('PATCH', '/channels/' + enc(id), b),
  rotateSecret: (id: string) => call<Channel>('POST', `/channels/${enc(id)}/rotate-secret`, {}),
  deliveries: (id: string) => call<{ deliveries: any[] }>('GET', `/channels/${enc(id)}/deliveries?limit=50`),
  redeliver: (id: string) => call('POST', `/deliveries/${enc(id)}/redeliver`, {}),

  automations: () => call<{ settings: any; effective: any }>('GET', '/automations'),
  maskPreview: (text: string, patterns: any[]) =>
    call<{ masked: string; hits: { rule: string; masked: string }[] }>('POST', '/automations/mask-preview', { text, patterns }),
  putAutomations: (b: any) => call<{ settings: any; effective: any }>('PUT', '/automations', b),
  channelAutomations: (id: string) => call<{ settings: any; effective: any }>('GET', `/channels/${enc(id)}/automations`),
  putChannelAutomations: (id: string, b: any) => call<{ settings: any; effective: any }>('PUT', `/channels/${enc(id)}/automations`, b),
  deleteChannelAutomations: (id: string) => call('DELETE', `/channels/${enc(id)}/automations`),
  settings: () => call<{ require_totp: boolean }>('GET', '/settings'),
  putSettings: (b: any) => call('PUT', '/settings', b),
  monitor: () =>
    call<{
      agents: { id: string; name: string; employee_no: string; status: string; current_chats: number; max_chats: number; chats_today: number; ratings_today?: number; rating_avg_today?: number }[]
      queue: { length: number; longest_wait_seconds: number }
      tickets?: { open: number }
    }>('GET', '/monitor'),
  audit: (f: AuditFilter, cursor = '') =>
    call<{ entries: AuditEntry[]; next_cursor: string }>('GET', '/audit' + qs({ ...f, cursor, limit: 50 })),
  auditExportUrl: (f: AuditFilter) => '/api/v1/audit/export' + qs({ ...f }),
  tokens: () => call<{ api_tokens: any[] }>('GET', '/api-tokens'),
  createToken: (name: string) => call<{ token: string }>('POST', '/api-tokens', { name }),
  deleteToken: (id: string) => call('DELETE', '/api-tokens/' + enc(id)),
  webhooks: () => call<{ webhooks: any[] }>('GET', '/webhooks'),
  createWebhook: (b: any) => call<any>('POST', '/webhooks', b),
  updateWebhook: (id: string, b: any) => call<any>('PATCH', '/webhooks/' + enc(id), b),
  deleteWebhook: (id: string) => call('DELETE', '/webhooks/' + enc(id)),
  rotateWebhook: (id: string) => call<any>('POST', `/webhooks/${enc(id)}/rotate-secret`, {}),
  webhookDeliveries: (id: string) => call<{ deliveries: any[] }>('GET', `/webhooks/${enc(id)}/deliveries`),
  rules: () => call<{ rules: any[] }>('GET', '/routing/rules'),
  createRule: (b: any) => call('POST', '/routing/rules', b),
  updateRule: (id: string, b: any) => call('PATCH', '/routing/rules/' + enc(id), b),
  deleteRule: (id: string) => call('DELETE', '/routing/rules/' + enc(id)),
  failed: () => call<{ failed_messages: any[] }>('GET', '/failed-messages'),
  retryFailed: (id: string) => call('POST', `/failed-messages/${enc(id)}/retry`, {}),
}
