// The shapes the hub speaks (see the hub's connectors/app/doc.go and
// connectors/web/doc.go) and the two seams a platform plugs into: a Transport
// (HTTP + one websocket) and a Storage (key → string, sync or async).

export interface Attachment {
  url: string
  name: string
  type: string
  size: number
}

/** An uploaded file: pass it (or its id) in send({attachments}). */
export interface Upload extends Attachment {
  id: string
}

/**
 * One piece of a rich answer: {t:"text",text}, an element {t:"p"|"br"|"b"|"i"|"u"|"s"|"ul"|"ol"|"li"|
 * "quote"|"h"|"pre"|"code", c}, a link {t:"a",href,c} or an image {t:"img",src,alt}.
 */
export interface RichNode {
  t: string
  text?: string
  href?: string
  src?: string
  alt?: string
  c?: RichNode[]
}

export interface Message {
  id: string
  conversation_id: string
  seq: number
  direction: 'in' | 'out'
  sender_type: 'contact' | 'agent' | 'system' | 'robot'
  sender_name?: string
  /** an agent's picture: a path on the hub ("/api/v1/avatars/…", prefix baseURL), "" for none */
  sender_avatar?: string
  type: string
  text: string
  attachments?: Attachment[]
  /**
   * a robot's rich answer (bold, lists, links, images; text is what it
   * reads as): show it with renderRich(m.rich, baseURL), or map
   * richNodes(m.rich, baseURL) to your views; its images repeat as image
   * attachments for clients that show text only
   */
  rich?: RichNode[]
  client_id?: string
  created_at: string
  /**
   * set by the SDK on the robot's answers (type "answer"): show "helpful?"
   * (有帮助/没帮助) and call client.rateAnswer(message, helpful); false once rated
   */
  rateable?: boolean
  /** the user's rating of this answer, once client.rateAnswer took it */
  helpful?: boolean
}

export interface Conversation {
  id: string
  status: string
  last_seq?: number
  /** the serving agent; avatar as Message.sender_avatar */
  agent?: { name: string; avatar?: string } | null
  unread?: number
  created_at?: string
}

/** One level of the tenant's rating scale (e.g. 5 非常满意), with the reasons the user may tick. */
export interface RatingLevel {
  score: number
  label: string
  reasons: string[]
}

/** client.ratingScale(): whether the channel asks for ratings, and the levels, best first. */
export interface RatingScale {
  /** the channel offers the rating form when a conversation closes */
  enabled: boolean
  /** best first; empty: plain 1–5 stars with no reasons */
  levels: RatingLevel[]
}

/** client.rate's options: a comment, the reasons ticked (of the level's list), the conversation. */
export interface RateOptions {
  comment?: string
  reasons?: string[]
  conversationId?: string
}

export interface Device {
  platform?: 'ios' | 'android' | 'harmony' | 'web' | 'miniprogram'
  os?: string
  app_version?: string
  model?: string
}

interface Profile {
  name?: string
  email?: string
  phone?: string
  traits?: Record<string, unknown>
  device?: Device
}

/**
 * Who the user is: an id with its HMAC (computed by your server), a short
 * JWT (minted by your server), or anonymous (when the channel allows it).
 */
export type Identity = Profile &
  (
    | { userId: string; userHash: string }
    | { jwt: string }
    | { anonymous: true; deviceId?: string }
  )

export interface Session {
  token: string
  contact_id: string
  expires_at?: string
}

export interface HttpResponse {
  status: number
  /** parsed JSON, or null */
  body: any
}

export interface SocketHandlers {
  open(): void
  message(data: string): void
  close(code: number): void
}

export interface Socket {
  send(data: string): void
  close(): void
}

/** How the SDK reaches the hub on one platform. */
export interface Transport {
  /** JSON request; rejects only when the hub could not be reached. */
  request(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<HttpResponse>
  /** multipart upload of one file under the field "file". */
  upload(url: string, headers: Record<string, string>, file: unknown, name?: string): Promise<HttpResponse>
  /** opens a websocket (the url is ws:// or wss://). */
  connect(url: string, h: SocketHandlers): Socket
  /**
   * calls resume when the app is back in front or back online (reconnect
   * now), pause when it goes to the background (agent messages are then
   * pushed too).
   */
  lifecycle?(resume: () => void, pause: () => void): void
  /** sent with identify when the app names no device */
  device?: Device
}

/** localStorage, React Native's AsyncStorage, or anything shaped like them. */
export interface Storage {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>
  setItem(key: string, value: string): void | Promise<void>
  removeItem(key: string): void | Promise<void>
}

export interface Options {
  appKey: string
  /** the hub, e.g. https://kefu.example.com */
  baseURL: string
  transport?: Transport
  storage?: Storage
}

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'offline'

export interface Events {
  message: Message
  typing: { typing: boolean }
  status: Conversation
  queue: { conversation_id: string; position: number }
  agent: { conversation_id: string; name: string; avatar?: string }
  closed: { conversation_id: string; rate: boolean }
  read: { conversation_id: string; seq: number }
  connection: { state: ConnectionState; code?: number }
  /** the agent asks for a rating now */
  rate: { conversation_id: string }
  /** whether an agent can answer now (else offer leaveMessage) */
  online: { online: boolean }
  /** nobody can answer: show a leave-a-message form */
  offline: { conversation_id: string }
  /** a message the hub refused for good (it left the outbox), or identify refused */
  error: { code: string; message: string; client_msg_id?: string }
}

export class KefuError extends Error {
  constructor(
    public code: string,
    message: string,
    public status = 0,
  ) {
    super(message)
  }
}
