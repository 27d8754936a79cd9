// The SDK's one core: identity, the socket with resume, the outbox, the REST
// calls. Platforms differ only in their Transport and Storage.
//
// Guarantees: a message given to send() is written to storage first and
// resent (same client_msg_id, which the hub stores once) until the hub
// acknowledges it — across reconnects and app restarts. Incoming messages are
// emitted once each and in seq order per conversation: duplicates are dropped,
// a gap holds later messages back and asks the hub for what is missing.
import type {
  Conversation,
  Events,
  HttpResponse,
  Identity,
  Message,
  Options,
  RateOptions,
  RatingScale,
  Session,
  Socket,
  Storage,
  Transport,
  Upload,
} from './types'
import { KefuError } from './types'
import { jwtSub, parse, uuid } from './util'

type Frame = { type: string; [k: string]: any }
type Handler<K extends keyof Events> = (e: Events[K]) => void
type IdentitySource = Identity | (() => Identity | Promise<Identity>)

interface Outgoing {
  client_msg_id: string
  text: string
  attachments?: { id: string }[]
}

export interface SendInput {
  /** your own id for the message (Kefu.uuid()): its echo carries it as client_id */
  clientMsgId?: string
  text?: string
  attachments?: (Upload | { id: string } | string)[]
}

/** Time knobs (ms); tests shorten them. */
export const timing = { welcome: 10000, ackWait: 10000, ping: 25000, dead: 70000, tick: 5000, maxBackoff: 30000, busy: 30000 }

export class Client {
  private base: string
  private t: Transport
  private st: Storage
  private src?: IdentitySource
  private ident?: Identity
  private sess?: Session
  private authing?: Promise<Session>
  private user = ''
  private loaded: Promise<void> = Promise.resolve()
  private ls: { [K in keyof Events]?: Handler<K>[] } = {}
  private ws?: Socket
  private welcomed = false
  private stopped = true
  private tries = 0
  private retry?: ReturnType<typeof setTimeout>
  private tick?: ReturnType<typeof setInterval>
  private rx = 0
  private pinged = 0
  /** last seq emitted, per conversation (persisted) */
  private top: Record<string, number> = {}
  /** messages that arrived ahead of a gap, per conversation */
  private ahead: Record<string, Record<number, Message>> = {}
  private syncAt: Record<string, number> = {}
  private box: Outgoing[] = []
  private sentAt: Record<string, number> = {}
  private waits: Record<string, [(v: { client_msg_id: string }) => void, (e: Error) => void][]> = {}
  private restBusy = false
  private fresh = false
  /** the app is in the background */
  private bg = false
  /** ends the wait between two identify attempts */
  private wake?: () => void
  private typed = ''
  private typingSent = ''
  private typingTimer?: ReturnType<typeof setTimeout>
  private pushToken = ''
  /** the current (or last) conversation */
  conversation: Conversation | null = null

  constructor(o: Options & { transport: Transport; storage: Storage }) {
    if (!o.appKey || !o.baseURL) throw new KefuError('bad_options', 'appKey and baseURL are required')
    this.base = o.baseURL.replace(/\/+$/, '') + '/app/v1/' + encodeURIComponent(o.appKey)
    this.t = o.transport
    this.st = o.storage
    if (this.t.lifecycle)
      this.t.lifecycle(
        () => this.resume(),
        () => this.pause(),
      )
  }

  // ---- events

  on<K extends keyof Events>(ev: K, fn: Handler<K>): () => void {
    ;(this.ls[ev] = this.ls[ev] || ([] as any)).push(fn)
    return () => this.off(ev, fn)
  }

  off<K extends keyof Events>(ev: K, fn: Handler<K>): void {
    const l = this.ls[ev]
    if (l) l.splice(l.indexOf(fn) >>> 0, 1)
  }

  private emit<K extends keyof Events>(ev: K, e: Events[K]): void {
    for (const fn of (this.ls[ev] || []).slice()) {
      try {
        fn(e)
      } catch (err) {
        setTimeout(() => {
          throw err
        })
      }
    }
  }

  // ---- identity

  /**
   * Names the user and starts the connection. Resolves once the hub accepted
   * the identity (it keeps trying while offline: send() works meanwhile, the
   * messages wait in the outbox); rejects when the hub refuses it. Pass a
   * function to be asked again whenever the SDK must re-identify (a JWT that
   * expired).
   */
  async identify(who: IdentitySource): Promise<Session> {
    const id = typeof who === 'function' ? await who() : who
    let user = 'u:' + ('userId' in id ? id.userId : 'jwt' in id ? jwtSub(id.jwt) : '')
    if ('anonymous' in id) {
      const k = this.key('device')
      let d = id.deviceId || (await this.st.getItem(k)) || uuid()
      await this.st.setItem(k, d)
      id.deviceId = d
      user = 'a:' + d
    }
    this.src = who
    this.ident = id
    this.fresh = true
    this.sess = undefined
    this.authing = undefined
    if (this.wake) this.wake()
    if (user !== this.user) {
      this.drop()
      this.user = user
      this.top = {}
      this.ahead = {}
      this.box = []
      this.conversation = null
      this.loaded = (async () => {
        this.box = parse(await this.st.getItem(this.key('box')), [])
        const s = parse(await this.st.getItem(this.key('seq')), { c: null as Conversation | null, top: {} })
        this.top = s.top
        this.conversation = s.c
      })()
    }
    await this.loaded
    this.stopped = false
    const p = this.auth()
    p.then(
      () => {
        if (!this.ws) this.connect()
        this.restFlush()
      },
      () => {},
    )
    return p
  }

  private key(k: string): string {
    return 'kefu:' + this.base.slice(this.base.lastIndexOf('/') + 1) + ':' + (k === 'device' ? '' : this.user + ':') + k
  }

  // auth trades the identity for a session token; network failures are
  // retried with backoff, a refusal stops everything.
  private auth(): Promise<Session> {
    if (this.sess) return Promise.resolve(this.sess)
    if (this.authing) return this.authing
    let a!: Promise<Session>
    a = this.authing = (async () => {
      for (;;) {
        if (this.stopped || this.authing !== a) throw new KefuError('closed', 'client closed')
        if (!this.fresh && typeof this.src === 'function')
          try {
            this.ident = await this.src()
          } catch {
            /* the app's server is unreachable too: try again later */
          }
        this.fresh = false
        const id = this.ident!
        const body: any = { name: id.name, email: id.email, phone: id.phone, traits: id.traits, device: id.device || this.t.device }
        if ('userId' in id) {
          body.user_id = id.userId
          body.user_hash = id.userHash
        } else if ('jwt' in id) body.jwt = id.jwt
        else {
          body.anonymous = true
          body.device_id = id.deviceId
        }
        let r: HttpResponse | null = null
        try {
          r = await this.t.request('POST', this.base + '/identify', {}, body)
        } catch {
          /* offline */
        }
        if (this.authing !== a) throw new KefuError('closed', 'identity changed')
        if (r && r.status < 300 && r.body && r.body.token) {
          this.tries = 0
          return (this.sess = r.body as Session)
        }
        if (r && r.status < 500 && r.status !== 429) {
          const e = err(r)
          this.stop()
          this.emit('error', { code: e.code, message: e.message })
          throw e
        }
        this.emit('connection', { state: 'offline' })
        await new Promise<void>((res) => {
          const t = setTimeout(res, this.backoff())
          this.wake = () => {
            clearTimeout(t)
            res()
          }
        })
        this.wake = undefined
      }
    })()
    const clear = () => {
      if (this.authing === a) this.authing = undefined
    }
    a.then(clear, clear)
    return a
  }

  // reauth identifies anew (asking the app again when it gave a function).
  private reauth(): Promise<Session> {
    this.sess = undefined
    return this.auth()
  }

  private backoff(): number {
    return Math.min(timing.maxBackoff, 500 * 2 ** this.tries++) * (0.5 + Math.random() / 2)
  }

  // ---- REST

  private async call(method: string, path: string, body?: unknown, file?: unknown, name?: string): Promise<any> {
    if (!this.ident) throw new KefuError('not_identified', 'call identify() first')
    for (let again = true; ; again = false) {
      const s = await this.auth()
      const h = { Authorization: 'Bearer ' + s.token }
      let r: HttpResponse
      try {
        r = file !== undefined ? await this.t.upload(this.base + path, h, file, name) : await this.t.request(method, this.base + path, h, body)
      } catch (e) {
        throw new KefuError('network', String((e as Error).message || e))
      }
      if (r.status === 401 && again) {
        await this.reauth()
        continue
      }
      if (r.status >= 300) throw err(r)
      return r.body
    }
  }

  /** The user's conversations, newest first. */
  async conversations(): Promise<Conversation[]> {
    return (await this.call('GET', '/conversations')).conversations || []
  }

  /** Opens a conversation, or returns the open one. */
  async open(): Promise<Conversation> {
    const r = await this.call('POST', '/conversations', {})
    const c: Conversation = r.conversation || r
    this.setConv(c)
    if (this.welcomed) this.sync(c.id, true)
    return c
  }

  /** A page of messages (history: before=seq; newer: after=seq). */
  async messages(q: { after?: number; before?: number; limit?: number; conversationId?: string } = {}): Promise<{
    conversation: Conversation | null
    messages: Message[]
  }> {
    const p: string[] = []
    const cid = q.conversationId
    if (cid) p.push('conversation_id=' + encodeURIComponent(cid))
    if (q.after != null) p.push('after=' + q.after)
    if (q.before != null) p.push('before=' + q.before)
    if (q.limit != null) p.push('limit=' + q.limit)
    const r = await this.call('GET', '/messages' + (p.length ? '?' + p.join('&') : ''))
    return { conversation: r.conversation || null, messages: (r.messages || []).map(answer) }
  }

  /** Uploads a file (File/Blob, React Native {uri,name,type}, or a mini-program temp path). */
  upload(file: unknown, name?: string): Promise<Upload> {
    return this.call('POST', '/uploads', undefined, file, name)
  }

  /** Tells the agent what the user has read (default: everything shown). */
  markRead(seq?: number, conversationId?: string): Promise<unknown> {
    const c = conversationId || (this.conversation && this.conversation.id) || ''
    return this.call('POST', '/read', { conversation_id: c, seq: seq != null ? seq : this.top[c] || 0 })
  }

  /**
   * "Helpful?" (有帮助/没帮助) on one of the robot's answers (a message with
   * rateable set), once: the message given is marked (rateable false, helpful).
   * 没帮助 puts the question on the admins' unanswered list, and while the
   * robot still answers it offers a person. Rejects with code "conflict"
   * when the answer was rated already, "not_found" when it is not the user's.
   */
  async rateAnswer(m: Message | string, helpful: boolean): Promise<void> {
    const o = typeof m === 'string' ? null : m
    let e: KefuError | undefined
    await this.call('POST', '/feedback', { message_id: o ? o.id : m, helpful }).then(
      () => o && (o.helpful = helpful),
      (x) => (e = x),
    )
    if (o && (!e || e.code === 'conflict')) o.rateable = false
    if (e) throw e
  }

  /**
   * Rates the conversation (default: the current one): score is a level's,
   * reasons of that level's list (ratingScale) — else it rejects with code
   * "rating_reason"; "conflict" once it can no longer change.
   */
  rate(score: number, o?: string | RateOptions, conversationId?: string): Promise<unknown> {
    const r: RateOptions = typeof o === 'string' ? { comment: o } : o || {}
    const c = r.conversationId || conversationId || (this.conversation && this.conversation.id) || ''
    return this.call('POST', '/rating', { conversation_id: c, score, comment: r.comment, reasons: r.reasons || [] })
  }

  /** The rating form to show: whether the channel asks, the levels and their reasons. */
  ratingScale(): Promise<RatingScale> {
    return this.call('GET', '/rating')
  }

  /** The leave-a-message form (nobody online): becomes a ticket. */
  leaveMessage(fields: { name?: string; phone?: string; email?: string; message: string; [k: string]: unknown }): Promise<any> {
    return this.call('POST', '/leave_message', { client_msg_id: uuid(), fields })
  }

  async registerPush(p: { platform: string; token: string }): Promise<void> {
    await this.call('PUT', '/push_token', p)
    this.pushToken = p.token
  }

  async unregisterPush(token?: string): Promise<void> {
    await this.call('DELETE', '/push_token', { token: token || this.pushToken })
  }

  // ---- sending

  /**
   * Sends a message. It is stored in the outbox first, so it survives going
   * offline and restarts; resolves when the hub has it, rejects only when the
   * hub refuses it for good.
   */
  async send(x: string | SendInput): Promise<{ client_msg_id: string }> {
    if (!this.ident) throw new KefuError('not_identified', 'call identify() first')
    await this.loaded
    const i = typeof x === 'string' ? { text: x } : x
    const o: Outgoing = { client_msg_id: i.clientMsgId || uuid(), text: i.text || '' }
    if (i.attachments && i.attachments.length) o.attachments = i.attachments.map((a) => ({ id: typeof a === 'string' ? a : a.id }))
    const p = new Promise<{ client_msg_id: string }>((res, rej) => (this.waits[o.client_msg_id] = [[res, rej]]))
    this.box.push(o)
    await this.saveBox()
    this.flush()
    return p
  }

  /** Messages not yet acknowledged by the hub (oldest first). */
  pending(): { client_msg_id: string; text: string }[] {
    return this.box.slice()
  }

  /** Resolves when a message already in the outbox (e.g. from before a restart) is acknowledged. */
  delivered(clientMsgId: string): Promise<{ client_msg_id: string }> {
    if (!this.box.some((o) => o.client_msg_id === clientMsgId)) return Promise.resolve({ client_msg_id: clientMsgId })
    return new Promise((res, rej) => (this.waits[clientMsgId] = this.waits[clientMsgId] || []).push([res, rej]))
  }

  private saveBox(): Promise<void> | void {
    return this.st.setItem(this.key('box'), JSON.stringify(this.box))
  }

  private flush(): void {
    if (!this.welcomed) {
      this.restFlush()
      return
    }
    const now = Date.now()
    for (const o of this.box) {
      if (now - (this.sentAt[o.client_msg_id] || 0) < timing.ackWait) continue
      this.sentAt[o.client_msg_id] = now
      this.frame({ type: 'message', client_id: o.client_msg_id, text: o.text, attachments: o.attachments })
    }
  }

  // restFlush sends the outbox over HTTP, in order, while the socket is not up.
  private async restFlush(): Promise<void> {
    if (this.restBusy || this.welcomed || !this.sess || this.stopped) return
    this.restBusy = true
    try {
      while (!this.welcomed && this.box.length && !this.stopped) {
        const o = this.box[0]
        try {
          const r = await this.call('POST', '/messages', o)
          if (r && r.conversation_id && !this.conversation) this.setConv({ id: r.conversation_id, status: 'open' })
          await this.done(o.client_msg_id)
        } catch (e) {
          const s = (e as KefuError).status
          if (s >= 400 && s < 500 && s !== 429 && s !== 401) await this.done(o.client_msg_id, e as KefuError)
          else break
        }
      }
    } finally {
      this.restBusy = false
    }
  }

  private async done(id: string, e?: KefuError): Promise<void> {
    const n = this.box.length
    this.box = this.box.filter((o) => o.client_msg_id !== id)
    delete this.sentAt[id]
    if (this.box.length !== n) await this.saveBox()
    const w = this.waits[id] || []
    delete this.waits[id]
    if (e) this.emit('error', { code: e.code, message: e.message, client_msg_id: id })
    for (const [res, rej] of w) e ? rej(e) : res({ client_msg_id: id })
  }

  /** Typing preview (throttled; its first 1,000 characters, what the hub keeps); "" = stopped. */
  typing(text: string): void {
    this.typed = text.slice(0, 1000)
    if (this.typingTimer) return
    const go = () => {
      this.typingTimer = undefined
      if (this.typed === this.typingSent) return
      this.typingSent = this.typed
      this.frame({ type: 'typing', text: this.typed })
      this.typingTimer = setTimeout(go, 500)
    }
    go()
  }

  // ---- the socket

  private connect(): void {
    clearTimeout(this.retry)
    if (this.stopped || this.ws) return
    this.emit('connection', { state: 'connecting' })
    this.auth().then(
      (s) => {
        if (this.stopped || this.ws) return
        let ws: Socket
        const h = {
          open: () => {
            if (this.ws !== ws) return
            const c = this.conversation
            this.frame({
              type: 'hello',
              token: s.token,
              conversation: c ? { id: c.id, after_seq: this.top[c.id] || 0 } : undefined,
              device: this.ident!.device || this.t.device,
            })
          },
          message: (d: string) => {
            if (this.ws !== ws) return
            this.rx = Date.now()
            const f = parse<Frame | null>(d, null)
            if (f && typeof f.type === 'string') this.onFrame(f)
          },
          close: (code: number) => {
            if (this.ws !== ws) return
            this.lost()
            this.emit('connection', { state: 'closed', code })
            if (code === 4401) this.sess = undefined
            if (code === 4403) {
              this.stop()
              this.emit('error', { code: 'forbidden', message: 'the hub refused this identity' })
              return
            }
            this.later(code === 4429 ? timing.busy * (1 + Math.random()) : 0)
          },
        }
        try {
          this.ws = ws = this.t.connect(this.base.replace(/^http/, 'ws') + '/ws', h)
        } catch {
          this.later()
          return
        }
        // no welcome in time (a connection that hangs, or fails without a word): try again
        clearInterval(this.tick)
        this.tick = setInterval(() => {
          if (this.ws === ws && !this.welcomed) h.close(1006)
        }, timing.welcome)
      },
      () => {},
    )
  }

  private later(min = 0): void {
    clearTimeout(this.retry)
    if (!this.stopped) this.retry = setTimeout(() => this.connect(), Math.max(min, this.backoff()))
  }

  // lost forgets the socket (closing it if still open).
  private lost(): void {
    const ws = this.ws
    this.ws = undefined
    this.welcomed = false
    clearInterval(this.tick)
    this.sentAt = {}
    if (ws)
      try {
        ws.close()
      } catch {
        /* already gone */
      }
  }

  /**
   * The app goes to the background: the hub then pushes agent messages too
   * (the socket may die there without a word). Browsers and mini-programs
   * call it by themselves; in React Native call it on AppState "background".
   */
  pause(): void {
    this.bg = true
    this.frame({ type: 'background' })
  }

  /**
   * The app came back to the front or online: reconnect now, or check that
   * the socket still answers. Browsers and mini-programs call it by
   * themselves; in React Native call it from AppState "active".
   */
  resume(): void {
    if (this.bg) {
      this.bg = false
      this.frame({ type: 'foreground' })
    }
    if (this.stopped || !this.ident) return
    this.tries = 0
    if (this.wake) return this.wake()
    if (!this.ws) return this.connect()
    if (!this.welcomed) return // still connecting: the welcome wait covers it
    const at = Date.now()
    this.frame({ type: 'ping' })
    setTimeout(() => {
      if (this.ws && this.rx < at) {
        this.lost()
        this.tries = 0
        this.connect()
      }
    }, 5000)
  }

  // frame sends f on the socket once welcomed (hello goes first)
  private frame(f: Frame): void {
    if (this.ws && (this.welcomed || f.type === 'hello'))
      try {
        this.ws.send(JSON.stringify(f))
      } catch {
        /* the close handler reconnects */
      }
  }

  private onTick(): void {
    const now = Date.now()
    if (now - this.rx > timing.dead) {
      this.lost()
      this.emit('connection', { state: 'closed' })
      this.later()
      return
    }
    if (now - this.pinged >= timing.ping) {
      this.pinged = now
      this.frame({ type: 'ping' })
    }
    this.flush()
  }

  private onFrame(f: Frame): void {
    const c = f.conversation_id as string
    switch (f.type) {
      case 'welcome': {
        this.welcomed = true
        this.tries = 0
        this.pinged = Date.now()
        clearInterval(this.tick)
        this.tick = setInterval(() => this.onTick(), timing.tick)
        const cv: Conversation | null = f.conversation
        // who served it before the socket dropped: a transfer made meanwhile
        // sent its 'agent' frame to no socket, so it is told now
        const o = this.conversation
        const was = cv && cv.id && o && o.id === cv.id ? o.agent || null : undefined
        if (cv && cv.id) {
          this.setConv({ ...cv, agent: cv.agent || null })
          this.emit('status', this.conversation!)
          if (was !== undefined && cv.agent && cv.agent.name !== (was && was.name))
            this.emit('agent', { conversation_id: cv.id, name: cv.agent.name, avatar: cv.agent.avatar })
        }
        const ms: Message[] = (f.messages || []).slice().sort((a: Message, b: Message) => a.seq - b.seq)
        // a conversation new to this device starts at what the hub shows first (its last 50)
        if (ms.length && !(ms[0].conversation_id in this.top)) this.top[ms[0].conversation_id] = ms[0].seq - 1
        else if (cv && cv.id && !(cv.id in this.top)) this.top[cv.id] = cv.last_seq || 0
        ms.forEach((m) => this.ingest(answer(m)))
        if (cv && cv.id && (cv.last_seq || 0) > (this.top[cv.id] || 0)) this.sync(cv.id, true)
        if (this.bg) this.frame({ type: 'background' })
        this.emit('online', { online: !!f.online })
        this.emit('connection', { state: 'open' })
        this.flush()
        break
      }
      case 'message':
        if (f.message) this.ingest(answer(f.message))
        break
      case 'ack':
        if (f.client_id) this.done(f.client_id)
        break
      case 'error':
        if (f.client_id) {
          const code = (f.error && f.error.code) || 'error'
          // not stored (hub busy, rate limited): stays in the outbox, resent soon
          if (code === 'unavailable' || code === 'rate_limited') this.sentAt[f.client_id] = Date.now() - timing.ackWait + 3000
          else this.done(f.client_id, new KefuError(code, (f.error && f.error.message) || code))
        }
        break
      case 'pong':
        if (c && (f.last_seq || 0) > (this.top[c] || 0)) this.sync(c, true)
        break
      case 'typing':
        this.emit('typing', { typing: !!f.typing })
        break
      case 'online':
        this.emit('online', { online: !!f.online })
        break
      case 'conversation':
        if (f.conversation) {
          this.setConv(f.conversation)
          this.emit('status', f.conversation)
        }
        break
      case 'queue':
      case 'agent':
      case 'closed':
      case 'read':
      case 'rate':
      case 'offline': {
        const cv = this.conversation
        if (cv && cv.id === c) {
          if (f.type === 'agent') cv.agent = { name: f.name, avatar: f.avatar }
          if (f.type === 'closed') cv.status = 'closed'
        }
        const { type, ...e } = f
        this.emit(type as 'queue', e as any)
        break
      }
    }
  }

  private setConv(c: Conversation): void {
    const o = this.conversation
    this.conversation = o && o.id === c.id ? { ...o, ...c } : { ...c }
    this.saveSeq()
  }

  private saveSeq(): void {
    this.st.setItem(this.key('seq'), JSON.stringify({ c: this.conversation, top: this.top }))
  }

  private sync(c: string, force?: boolean): void {
    const now = Date.now()
    if (!force && now - (this.syncAt[c] || 0) < 2000) return
    this.syncAt[c] = now
    this.frame({ type: 'sync', conversation_id: c, after_seq: this.top[c] || 0 })
  }

  // ingest emits m once, in seq order: older seqs are duplicates, a gap
  // waits in ahead until what is missing arrives (sync asks for it).
  private ingest(m: Message): void {
    const c = m.conversation_id
    if (m.client_id) this.done(m.client_id)
    const top = this.top[c] || 0
    if (!m.seq || m.seq <= top) return
    if (m.seq > top + 1) {
      ;(this.ahead[c] = this.ahead[c] || {})[m.seq] = m
      this.sync(c)
      return
    }
    const a = this.ahead[c] || {}
    for (let n: Message | undefined = m; n; n = a[n.seq + 1]) {
      delete a[n.seq]
      this.top[c] = n.seq
      this.emit('message', n)
    }
    this.saveSeq()
  }

  // ---- stopping

  private drop(): void {
    clearTimeout(this.retry)
    this.lost()
  }

  private stop(): void {
    this.stopped = true
    this.drop()
    if (this.wake) this.wake()
  }

  /** Closes the socket and stops reconnecting; the outbox stays in storage. */
  close(): void {
    this.stop()
    this.authing = undefined
    this.emit('connection', { state: 'closed' })
  }
}

// answer marks the robot's answers rateable ("helpful?").
function answer(m: Message): Message {
  if (m.sender_type === 'robot' && m.type === 'answer' && m.rateable == null) m.rateable = true
  return m
}

function err(r: HttpResponse): KefuError {
  const e = (r.body && r.body.error) || {}
  return new KefuError(e.code || 'http_' + r.status, e.message || 'HTTP ' + r.status, r.status)
}
