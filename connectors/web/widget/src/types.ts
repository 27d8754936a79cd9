// Shapes of the wire protocol (see ../doc.go) and of the loader core that
// the loader (widget.js) hands to the chat UI (chat.js). Types only: no
// code, so both bundles can import it for free.

export type Lang = 'zh-CN' | 'zh-TW' | 'en'

export interface Field {
  name: string
  label: string
  type: 'text' | 'tel' | 'email' | 'textarea'
  required?: boolean
}

export interface Invite {
  enabled?: boolean
  after_seconds?: number
  max_times?: number
  decline_interval_seconds?: number
  text?: string
}

export interface Config {
  channel_id: string
  name: string
  title: string
  color: string
  logo_url: string
  position: 'right' | 'left'
  default_lang: string
  languages: string[]
  groups: { id: string; label: string }[]
  rating: boolean
  // rating_levels: the tenant's scale, best first (absent: five stars)
  rating_levels?: { score: number; label: string; reasons?: string[] }[] | null
  offline_form: { fields: Field[] }
  invite: Invite
  identity_required: boolean
  upload: { max_bytes: number; types: string[] }
  online: boolean
  // help_url is the channel's help centre (a path on the hub), '' when off
  help_url?: string
}

export interface Attachment {
  id?: string
  url: string
  name: string
  type: string
  size: number
}

// RichNode is one piece of a rich answer (connectors/web/doc.go): text,
// or an element of a fixed set with its children.
export interface RichNode {
  t: string
  text?: string
  href?: string
  src?: string
  alt?: string
  c?: RichNode[]
}

export interface Msg {
  id?: string
  conversation_id?: string
  seq?: number
  direction?: 'in' | 'out'
  sender_type: 'contact' | 'agent' | 'system' | 'robot'
  sender_name?: string
  sender_avatar?: string
  type?: string
  text: string
  attachments?: Attachment[]
  // a robot's rich answer (text is what it reads as)
  rich?: RichNode[]
  client_id?: string
  created_at?: string
  // client side only
  pending?: boolean
  failed?: boolean // refused: not sent, and not retried
  why?: string // why it failed, in the visitor's language (none: 发送失败 alone); never the hub's own (English) message
  t?: number
  o?: number // sort position of a message not stored yet: after the one shown last when it was sent
  q?: number
}

export interface Conversation {
  id: string
  status?: string
  last_seq?: number
  agent?: { name: string; avatar?: string } | null
}

export type Frame = { type: string; [k: string]: any }

// Core is what the loader owns (config, socket, message store, outbox) and
// lends to the chat UI once it is loaded.
export interface Core {
  cfg: Config
  lang: Lang
  page: boolean // data-mode="page"
  group: string // data-group
  agent: string // data-agent
  hub: string
  channel: string
  root: ShadowRoot
  online: boolean
  refused: boolean
  // the hub has too many open chats (close 4429): waiting to retry
  busy: boolean
  conv: Conversation | null
  msgs: Msg[]
  visitor: { id: string; token: string } | null
  // send a frame now; false when the socket is not open
  send(f: Frame): boolean
  connected: boolean
  // send a frame carrying client_id, kept in the outbox until acked (and
  // resent with the same client_id after a reconnect or a reload)
  post(f: Frame): void
  // show a visitor message as pending (its client_id links it to the ack)
  local(m: Msg): void
  // re-render after a client-side change to a message
  emit(ev: string, x?: unknown): void
  on(ev: string, fn: (x?: any) => void): void
  open(): void
  close(): void
  uuid(): string
}

export interface ChatUI {
  show(): void
  hide(): void
  // an invitation above the launcher (auto: the channel's rule, else an
  // agent's); reply gets the visitor's answer once
  invite(id: string, text: string, agent: string, auto: boolean, reply: (accepted: boolean) => void): void
  uninvite(): void
  inviting(): boolean
}
