// widget.js — the loader a site owner embeds (≤ 5 KB gzipped):
//
//	<script src="https://HUB/widget.js" data-channel="ID" async></script>
//
// It fetches the channel config, keeps the visitor websocket (hello,
// reconnect with jittered backoff, resume from the last seq shown, outbox of
// unacknowledged messages), shows the consult launcher and invitations, and
// loads chat.js (the chat UI) the first time the chat opens, handing it this
// core. Everything lives in a shadow root under <div id="kefu-widget">.
//
// Host page API (calls made before the loader ran are queued):
//
//	window.Kefu = window.Kefu || { q: [] }
//	Kefu.q.push(['identify', { id, name, email, phone, hash }])
//	Kefu.q.push(['on', 'ready', function () { … }])
//	// once loaded: Kefu.open(), Kefu.close(), Kefu.identify(o), Kefu.on(ev, fn),
//	// Kefu.setLang('en'); events: ready, open, close, message
import type { ChatUI, Config, Conversation, Core, Frame, Msg } from './types'
import { L, pickLang } from './i18n'
import { ICON_CHAT, css, h, icon, load, save, ss, uuid } from './util'

const w = window as any

function findScript(): HTMLScriptElement | null {
  const cur = document.currentScript as HTMLScriptElement | null
  return cur && cur.dataset.channel ? cur : document.querySelector('script[data-channel][src*="/widget.js"]')
}

const CSS =
  ':host{all:initial}' +
  '.k{--c:#0958d9;font:14px/1.5 system-ui,sans-serif;color:#1f1f1f}' +
  '.l{position:fixed;right:20px;bottom:20px;z-index:2147483000;box-shadow:0 4px 16px rgba(0,0,0,.22);display:flex;align-items:center;gap:6px;height:48px;padding:0 18px 0 14px;border:0;border-radius:24px;background:var(--c);color:#fff;font:inherit;font-size:15px;cursor:pointer}' +
  '.l[data-state=offline],.l[data-state=error]{background:#8c8c8c}' +
  '.left .l{right:auto;left:20px}' +
  '[hidden]{display:none!important}'

function main(): void {
  if (w.Kefu && w.Kefu.__live) return
  const script = findScript()
  const ds = script ? script.dataset : null
  if (!script || !ds || !ds.channel) return
  const channel = ds.channel
  const src = script.src
  const hub = new URL(src, location.href).origin
  const chatURL = src.replace(/widget\.js([?#].*)?$/, 'widget/chat.js')
  const key = (k: string) => `kefu:${channel}:${k}`
  const page = ds.mode === 'page'

  // Events: internal (frame, msgs, state) and public (ready, open, close, message).
  const subs: Record<string, ((x?: any) => void)[]> = {}
  const emit = (ev: string, x?: unknown) =>
    (subs[ev] || []).slice().forEach((fn) => {
      try {
        fn(x)
      } catch (e) {
        console.error(e)
      }
    })

  let ws: WebSocket | null = null
  let tries = 0
  let retry = 0
  let ready = false
  let welcomed = false
  let stopped = false
  let cfgFailed = false
  let isOpen = false
  let wantOpen = false
  let identity: Record<string, string> | null = null
  let ui: ChatUI | null = null
  let loading: (() => void)[] | null = null
  const byKey: Record<string, Msg> = {}
  const convs: string[] = []
  const seen: Record<string, Record<number, 1>> = {}
  const top: Record<string, number> = {}
  const high: Record<string, number> = {}
  const syncAt: Record<string, number> = {}

  const core: Core = {
    cfg: {} as Config,
    lang: 'zh-CN',
    page,
    group: ds.group || '',
    agent: ds.agent || '',
    hub,
    channel,
    root: null as unknown as ShadowRoot,
    online: false,
    refused: false,
    busy: false,
    connected: false,
    conv: null,
    msgs: [],
    visitor: load(key('visitor'), null),
    send,
    post,
    local,
    on,
    emit,
    open,
    close,
    uuid,
  }

  function on(ev: string, fn: (x?: any) => void): void {
    if (typeof fn !== 'function') return
    ;(subs[ev] = subs[ev] || []).push(fn)
    if (ev === 'ready' && ready) fn()
  }

  function send(f: Frame): boolean {
    if (!ws || ws.readyState !== 1) return false
    ws.send(JSON.stringify(f))
    return true
  }

  // ---- message store: dedup by id and client_id, ordered by conversation then seq
  type Out = { f: Frame; m?: Msg }
  const outbox = (): Out[] => load(key('outbox'), [])
  function post(f: Frame): void {
    const m = byKey['c:' + f.client_id]
    save(key('outbox'), outbox().filter((o) => o.f.client_id !== f.client_id).concat({ f, m: m && ({ text: m.text, attachments: m.attachments } as Msg) }))
    send(f)
  }
  function unqueue(cid: string): void {
    save(key('outbox'), outbox().filter((o) => o.f.client_id !== cid))
  }
  function local(m: Msg): void {
    const l = core.msgs.filter((x) => x.seq).pop()
    if (l) {
      m.o = ord(l)
      m.q = l.seq! + 0.5
    }
    m.pending = true
    ingest(m, false)
    changed()
  }
  function ingest(m: Msg, hist: boolean): boolean {
    if (!m || (!m.id && !m.client_id)) return false
    const x = (m.id && byKey['i:' + m.id]) || (m.client_id && byKey['c:' + m.client_id])
    if (x) {
      if (m.id && !x.id) {
        Object.assign(x, m)
        x.pending = false
        x.failed = false
        byKey['i:' + m.id] = x
        track(x, hist)
      }
      return false
    }
    m.t = Date.now()
    core.msgs.push(m)
    if (m.id) byKey['i:' + m.id] = m
    if (m.client_id) byKey['c:' + m.client_id] = m
    track(m, hist)
    return true
  }
  function track(m: Msg, hist: boolean): void {
    const c = m.conversation_id
    const s = m.seq
    if (!c || !s) return
    if (!seen[c]) {
      convs.push(c)
      seen[c] = {}
      top[c] = hist ? s - 1 : 0
      high[c] = 0
    }
    if (!core.conv || (core.conv.id !== c && convs.indexOf(c) >= convs.indexOf(core.conv.id))) core.conv = { id: c }
    seen[c][s] = 1
    high[c] = Math.max(high[c], s)
    while (seen[c][top[c] + 1]) top[c]++
  }
  const ord = (m: Msg) => (m.seq && m.conversation_id ? convs.indexOf(m.conversation_id) : m.o ?? convs.length)
  const sq = (m: Msg) => m.seq || m.q || 0
  function changed(): void {
    core.msgs.sort((a, b) => ord(a) - ord(b) || sq(a) - sq(b) || (a.t || 0) - (b.t || 0))
    for (const c of convs) if (high[c] > top[c]) sync(c)
    emit('msgs')
  }
  function sync(c: string, force?: boolean): void {
    const now = Date.now()
    if (!force && now - (syncAt[c] || 0) < 2000) return
    syncAt[c] = now
    send({ type: 'sync', conversation_id: c, after_seq: top[c] || 0 })
  }

  // ---- the socket
  function connect(): void {
    clearTimeout(retry)
    if (stopped) return
    const u = hub.replace(/^http/, 'ws') + `/webhooks/web/${encodeURIComponent(channel)}/ws`
    let s: WebSocket
    try {
      s = new WebSocket(u)
    } catch {
      return later()
    }
    ws = s
    s.onopen = () => {
      const hello: Frame = { type: 'hello', page: pageInfo(), lang: core.lang }
      if (core.visitor) hello.visitor = core.visitor
      if (identity) hello.identity = identity
      if (core.group) hello.group = core.group
      if (core.agent) hello.agent = core.agent
      const c = core.conv
      if (c && seen[c.id]) hello.conversation = { id: c.id, after_seq: top[c.id] }
      send(hello)
    }
    s.onmessage = (e) => {
      let f: Frame
      try {
        f = JSON.parse(e.data)
      } catch {
        return
      }
      if (f && typeof f.type === 'string') frame(f)
    }
    s.onclose = (e) => {
      if (ws !== s) return
      ws = null
      const was = welcomed
      welcomed = false
      core.connected = false
      if (e.code === 4401) {
        core.visitor = null
        save(key('visitor'), null)
      } else if (e.code === 4403 || (!was && !ready && e.code !== 4429)) {
        core.refused = true
      }
      if (e.code === 4403) stopped = true
      // 4429: too many open chats on the hub; wait 30–60 s, calmly
      core.busy = e.code === 4429
      paint()
      later(core.busy ? 30000 + Math.random() * 30000 : 0)
    }
  }
  function later(min = 0): void {
    if (stopped) return
    const d = Math.max(min, Math.min(30000, 1000 * 2 ** tries++) * (0.5 + Math.random() / 2))
    retry = setTimeout(connect, d) as unknown as number
  }
  function reconnect(): void {
    stopped = false
    tries = 0
    const s = ws
    ws = null
    if (s) s.close()
    connect()
  }
  function pageInfo() {
    return { url: location.href, title: document.title, referrer: document.referrer }
  }

  function frame(f: Frame): void {
    switch (f.type) {
      case 'welcome': {
        welcomed = true
        tries = 0
        core.connected = true
        core.refused = core.busy = false
        if (f.visitor && f.visitor.id) {
          core.visitor = { id: f.visitor.id, token: f.visitor.token }
          save(key('visitor'), core.visitor)
        }
        core.online = !!f.online
        const c: Conversation | null = f.conversation
        // who served this conversation before the socket dropped: a
        // transfer made meanwhile sent its "… 为您服务" to no socket
        const was = c && c.id && core.conv && core.conv.id === c.id ? core.conv.agent || null : undefined
        if (c && c.id) core.conv = core.conv && core.conv.id === c.id ? { ...core.conv, ...c, agent: c.agent || null } : { ...c }
        const ms: Msg[] = (f.messages || []).slice().sort((a: Msg, b: Msg) => (a.seq || 0) - (b.seq || 0))
        ms.forEach((m) => ingest(m, true))
        changed()
        if (c && c.id && (c.last_seq || 0) > (top[c.id] || 0)) sync(c.id, true)
        for (const o of outbox()) send(o.f)
        paint()
        if (!ready) {
          ready = true
          emit('ready')
          invites()
        }
        if (was !== undefined && c!.agent && c!.agent.name !== (was && was.name)) {
          frame({ type: 'agent', conversation_id: c!.id, name: c!.agent.name, avatar: c!.agent.avatar })
        }
        break
      }
      case 'message': {
        const m: Msg = f.message
        if (!m) break
        const fresh = ingest(m, false)
        if (m.client_id) unqueue(m.client_id)
        changed()
        if (fresh && m.sender_type !== 'contact') {
          emit('message', m)
          if (m.sender_type === 'agent' && !isOpen) open()
        }
        break
      }
      case 'ack':
        if (f.client_id) {
          unqueue(f.client_id)
          const m = byKey['c:' + f.client_id]
          if (m && m.pending) {
            m.pending = false
            changed()
          }
        }
        break
      case 'error':
        if (f.client_id) {
          // not stored yet (hub busy, rate limited): stays in the outbox, resent soon
          if (/^(unavailable|rate_limited)$/.test(f.error && f.error.code)) {
            setTimeout(() => outbox().forEach((o) => o.f.client_id === f.client_id && send(o.f)), 3000)
            break
          }
          unqueue(f.client_id)
          const m = byKey['c:' + f.client_id]
          if (m) {
            m.pending = false
            // the hub's reason is for developers (English): the visitor
            // reads "not sent" in their language
            m.failed = true
            changed()
          }
        }
        break
      case 'pong': {
        const c = f.conversation_id
        if (c && (f.last_seq || 0) > (top[c] || 0)) sync(c, true)
        break
      }
      case 'online':
        core.online = !!f.online
        paint()
        break
      case 'agent':
        if (core.conv && core.conv.id === f.conversation_id) core.conv.agent = { name: f.name, avatar: f.avatar }
        break
      case 'closed':
        if (core.conv && core.conv.id === f.conversation_id) core.conv.status = 'closed'
        break
      case 'conversation':
        if (f.conversation && f.conversation.id) core.conv = { ...f.conversation }
        break
      case 'invite':
        if (!isOpen) invite(f.invite_id, f.text, f.agent && f.agent.name)
        break
    }
    emit('frame', f)
  }

  // ---- launcher and invitations (the invitation box is drawn by chat.js,
  // loaded for it: most visitors are never invited)
  let T = L('zh-CN')
  let wrap: HTMLElement
  let btn: HTMLButtonElement
  let due = false

  function paint(): void {
    if (!btn) return
    const st = core.refused ? 'error' : core.online ? 'online' : 'offline'
    btn.dataset.state = st
    btn.hidden = isOpen || page
    btn.textContent = ''
    btn.appendChild(icon(ICON_CHAT))
    btn.appendChild(document.createTextNode(T[st]))
    emit('state')
    if (core.online && due) invites() // an invite that came due while nobody was online
  }

  function invites(): void {
    due = false
    const r = core.cfg.invite
    if (!r || !r.enabled || page) return
    const wait = Math.max(0, (r.after_seconds || 0) * 1000 - performance.now())
    setTimeout(() => {
      const s = load(key('inv'), { n: 0, d: 0 })
      if ((r.max_times! > 0 && s.n >= r.max_times!) || Date.now() - s.d < (r.decline_interval_seconds || 0) * 1000) return
      if (isOpen || (ui && ui.inviting()) || !core.online) {
        due = true // shown when it can be (paint retries)
        return
      }
      save(key('inv'), { n: s.n + 1, d: s.d })
      const id = uuid()
      invite(id, r.text || '', '', true)
      send({ type: 'invited', invite_id: id })
    }, wait)
  }

  function invite(id: string, text: string, agent?: string, auto?: boolean): void {
    chat(() =>
      ui!.invite(id, text || core.cfg.invite.text || '', agent || '', !!auto, (accepted) => {
        send({ type: 'invite_reply', invite_id: id, accepted })
        if (accepted) open()
        else save(key('inv'), { ...load(key('inv'), { n: 0, d: 0 }), d: Date.now() })
      }),
    )
  }

  // ---- open / close and the chat UI
  function open(): void {
    if (!btn) {
      wantOpen = true
      return
    }
    if (isOpen) return
    isOpen = true
    ss(key('open'), '1')
    if (ui) ui.uninvite()
    paint()
    chat(() => ui && ui.show())
    emit('open')
  }
  function close(): void {
    if (!isOpen || page) return
    isOpen = false
    ss(key('open'), '')
    if (ui) ui.hide()
    paint()
    emit('close')
  }
  function chat(cb: () => void): void {
    if (ui) return cb()
    if (loading) {
      loading.push(cb)
      return
    }
    loading = [cb]
    w.__kefuChat = (mount: (c: Core) => ChatUI) => {
      ui = mount(core)
      const l = loading || []
      loading = null
      l.forEach((f) => f())
    }
    const s = document.createElement('script')
    s.src = chatURL
    s.async = true
    s.onerror = () => {
      loading = null
      isOpen = false
      s.remove()
      paint()
    }
    document.head.appendChild(s)
  }

  // ---- the public API
  const api: any = {
    __live: true,
    open,
    close,
    on,
    identify(o: Record<string, unknown>) {
      if (!o || typeof o !== 'object') return
      identity = {}
      for (const k of ['id', 'name', 'email', 'phone', 'hash']) if (o[k] != null) identity[k] = String(o[k])
      if (btn) reconnect()
    },
    setLang(l: string) {
      core.lang = pickLang(l)
      T = L(core.lang)
      paint()
    },
  }
  const queued: unknown[][] = (w.Kefu && Array.isArray(w.Kefu.q) && w.Kefu.q) || []
  const run = (c: unknown[]) => {
    if (c && typeof api[c[0] as string] === 'function') api[c[0] as string](...c.slice(1))
  }
  api.q = { push: run }
  w.Kefu = api
  const langSet = queued.some((c) => c && c[0] === 'setLang')
  queued.forEach(run)

  // ---- start: config, then the shadow root, launcher and socket
  function start(cfg: Partial<Config> | null): void {
    cfgFailed = !cfg
    const c = cfg || {}
    const arr = <T>(x: T[] | undefined) => (Array.isArray(x) ? x : [])
    core.cfg = {
      ...(c as Config),
      color: /^#[0-9a-f]{3,8}$/i.test(c.color || '') ? c.color! : '#0958d9',
      position: c.position === 'left' ? 'left' : 'right',
      languages: arr(c.languages),
      groups: arr(c.groups),
      offline_form: { fields: arr(c.offline_form && c.offline_form.fields) },
      invite: c.invite || {},
      upload: { max_bytes: 0, types: [], ...c.upload },
    }
    if (!langSet) core.lang = pickLang(ds!.lang, core.cfg.default_lang)
    T = L(core.lang)
    core.online = !!core.cfg.online
    core.refused = cfgFailed

    const host = document.createElement('div')
    host.id = 'kefu-widget'
    host.style.setProperty('all', 'initial')
    const root = (core.root = host.attachShadow({ mode: 'open' }))
    css(root, CSS)
    wrap = h('div', 'k ' + core.cfg.position)
    wrap.style.setProperty('--c', core.cfg.color)
    root.appendChild(wrap)
    btn = h('button', 'l')
    btn.type = 'button'
    btn.onclick = open
    wrap.appendChild(btn)
    ;(document.body || document.documentElement).appendChild(host)
    paint()

    // local messages not yet acknowledged (a reload): show them as pending
    for (const o of outbox()) if (o.m && o.f.type === 'message') ingest({ ...o.m, sender_type: 'contact', client_id: o.f.client_id, pending: true }, false)
    changed()
    connect()
    setInterval(() => send({ type: 'ping' }), 25000)
    let href = location.href
    setInterval(() => {
      if (location.href !== href) {
        href = location.href
        send({ type: 'page', ...pageInfo() })
      }
    }, 1500)
    if (page || wantOpen || ss(key('open'))) open()
  }

  const go = () =>
    fetch(`${hub}/webhooks/web/${encodeURIComponent(channel)}/config`, { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null)
      .then(start)
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', go)
  else go()
}

main()
