// chat.js — the chat window (≤ 40 KB gzipped), loaded by widget.js the
// first time the chat opens. It renders into the loader's shadow root and
// uses the loader's core (config, socket, message store, outbox): no second
// config fetch, no second socket. Customer and agent text only ever enters
// the DOM through textContent.
import type { ChatUI, Core, Field, Frame, Msg } from './types'
import { C, fmt } from './i18n'
import { ICON_X, css, h, icon, safeURL } from './util'
import { rich, richImages } from './rich'

const EMOJI =
  '😀 😁 😂 🤣 😊 😍 😘 😎 🤔 😅 😢 😭 😡 😱 😴 🙄 👍 👎 👌 👏 🙏 💪 🤝 👋 ❤️ 💔 🎉 🔥 ⭐ ✅ ❌ ❓ 💯 🌹 ☕ 🍰 🎁 📦 💰 📞'.split(' ')

// MAX is the longest message the hub takes, in characters.
const MAX = 5000
const ICON_SEND = 'M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z'
const ICON_SMILE =
  'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm0 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16zm-3.5 5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm7 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zM7.5 14h9a4.5 4.5 0 0 1-9 0z'
const ICON_CLIP =
  'M16.5 6v11.5a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6H9v9.5a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v12.5a6 6 0 0 0 12 0V6h-1.5z'

const CSS = `.k *{box-sizing:border-box}
.iv{position:fixed;right:20px;bottom:80px;z-index:2147483000;width:280px;max-width:calc(100vw - 40px);padding:14px;background:#fff;border-radius:10px;box-shadow:0 4px 16px rgba(0,0,0,.22)}
.left .iv{right:auto;left:20px}
.iv p{margin:0 0 10px;white-space:pre-wrap;word-break:break-word}
.iv .a{font-size:12px;color:#888}
.iv .b{text-align:right}
.iv button{margin-left:8px;border:1px solid #ccc;border-radius:6px;padding:4px 12px;background:#fff;font:inherit;cursor:pointer}
.iv .y{background:var(--c);border-color:var(--c);color:#fff}
.p{position:fixed;right:20px;bottom:20px;z-index:2147483001;display:flex;flex-direction:column;width:370px;height:580px;max-height:calc(100vh - 40px);background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 8px 32px rgba(0,0,0,.25)}
.left .p{right:auto;left:20px}
.p.full{inset:0;width:100%;height:100%;max-height:none;border-radius:0;box-shadow:none}
@media (max-width:480px){.p{inset:0;width:100%;height:100%;max-height:none;border-radius:0}}
.hd{display:flex;align-items:center;gap:10px;padding:12px 14px;background:var(--c);color:#fff;flex:none}
.hd img{width:32px;height:32px;border-radius:50%;object-fit:cover;background:#fff}
.hd .tt{flex:1;min-width:0}
.hd .ti{font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.hd .su{font-size:12px;min-height:1em}
.hl{color:inherit;font-size:13px;white-space:nowrap;opacity:.9}
.ib{display:inline-flex;align-items:center;justify-content:center;width:32px;height:32px;padding:5px;border:0;border-radius:6px;background:none;color:inherit;cursor:pointer}
.ib:hover{background:rgba(127,127,127,.15)}
.cn{padding:6px 12px;background:#fff7e6;color:#ad6800;font-size:12px;text-align:center;flex:none}
.ms{flex:1;overflow-y:auto;padding:12px;background:#f5f6f8;overscroll-behavior:contain}
.m{display:flex;flex-direction:column;margin:8px 0;align-items:flex-start}
.m.me{align-items:flex-end}
.m.sy{align-items:center}
.m .n{font-size:12px;color:#666;margin:0 4px 2px}
.av{width:20px;height:20px;border-radius:50%;object-fit:cover;vertical-align:middle;margin-right:4px}
.hd .av{margin:0;flex:none}
.b{max-width:80%;padding:8px 12px;border-radius:12px;background:#fff;white-space:pre-wrap;word-break:break-word;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.me .b{background:var(--c);color:#fff}
.sy .b,.nt{max-width:90%;padding:3px 10px;background:#e9eaee;color:#666;font-size:12px;box-shadow:none;text-align:center}
.nt{margin:8px auto;border-radius:10px;width:fit-content}
.nt.er{background:#fff1f0;color:#cf1322}
.cc{padding:0 12px 6px;font-size:12px;color:#999}
.cc.er{color:#cf1322}
.b img{display:block;max-width:100%;max-height:220px;border-radius:6px;margin:2px 0}
.b a{color:inherit;text-decoration:underline;word-break:break-all}
.rx{white-space:normal;word-break:break-word}
.rx p,.rx ul,.rx ol,.rx blockquote,.rx h4,.rx pre{margin:0 0 6px}
.rx>:last-child{margin-bottom:0}
.rx ul,.rx ol{padding-left:20px}
.rx h4{font-size:15px}
.rx blockquote{padding-left:8px;border-left:3px solid #ccc}
.rx pre{white-space:pre-wrap}
.m .s{font-size:11px;color:#999;margin:2px 4px 0}
.m[data-state=failed] .s{color:#cf1322}
.ty{padding:2px 14px;font-size:12px;color:#888;background:#f5f6f8;flex:none}
.gp{padding:12px;border-bottom:1px solid #eee;background:#fff;flex:none}
.gp .q{margin-bottom:8px;color:#555}
.gp button,.rt .st button{margin:0 6px 6px 0;padding:5px 12px;border:1px solid #d9d9d9;border-radius:14px;background:#fff;font:inherit;cursor:pointer}
.gp button[aria-pressed=true]{border-color:var(--c);color:var(--c);font-weight:600}
.cp{display:flex;flex-direction:column;border-top:1px solid #eee;background:#fff;flex:none;position:relative}
.tb{display:flex;gap:2px;padding:4px 8px 0;color:#666}
.cp textarea{display:block;width:100%;height:72px;padding:6px 12px;border:0;outline:0;resize:none;font:inherit;color:inherit;background:none}
.sd{position:absolute;right:10px;bottom:10px;background:var(--c);color:#fff}
.sd:hover{background:var(--c);opacity:.85}
.em{position:absolute;bottom:100%;left:8px;display:grid;grid-template-columns:repeat(8,1fr);gap:2px;padding:8px;background:#fff;border:1px solid #eee;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.12)}
.em button{width:34px;height:34px;border:0;background:none;font-size:20px;cursor:pointer;border-radius:6px}
.em button:hover{background:#f0f0f0}
.fm{flex:1;overflow-y:auto;padding:16px;background:#fff}
.fm p{margin:0 0 12px;color:#555}
.fm label{display:block;margin-bottom:10px;font-size:13px;color:#444}
.fm input,.fm textarea,.rt textarea{display:block;width:100%;margin-top:4px;padding:7px 10px;border:1px solid #d9d9d9;border-radius:6px;font:inherit;color:inherit;background:#fff}
.fm textarea,.rt textarea{height:80px;resize:vertical}
.fm .e{color:#cf1322;font-size:12px}
.fm [aria-invalid=true]{border-color:#cf1322}
.bt{padding:7px 18px;border:0;border-radius:6px;background:var(--c);color:#fff;font:inherit;cursor:pointer}
.bt:disabled{opacity:.5;cursor:default}
.fb{margin-top:4px;font-size:12px;color:#888}.fb button{margin:0 6px 0 0;padding:2px 10px;border:1px solid #d9d9d9;border-radius:12px;background:#fff;font:inherit;color:#555;cursor:pointer}.fb button:disabled{opacity:.5}.fb span{margin-right:6px}
.rt{margin:10px auto;padding:12px;max-width:92%;background:#fff;border-radius:10px;text-align:center}
.rt .st button{margin:0 2px 8px;padding:0;width:34px;height:34px;border:0;font-size:24px;color:#ccc}
.rt .st button[aria-pressed=true]{color:#fadb14}
.rt .lv button,.rs button{width:auto;height:auto;margin:0 4px 8px;padding:5px 12px;border:1px solid #d9d9d9;border-radius:14px;background:#fff;font:inherit;font-size:13px;color:inherit;cursor:pointer}
.rt .lv button[aria-pressed=true],.rs button[aria-pressed=true]{border-color:var(--c);background:var(--c);color:#fff}
.rt textarea{margin-bottom:8px}`

function mount(core: Core): ChatUI {
  const T = C(core.lang)
  const cfg = core.cfg
  const wrap = core.root.querySelector('.k') as HTMLElement
  css(core.root, CSS)

  const panel = h('div', 'p' + (core.page ? ' full' : ''))
  panel.setAttribute('role', 'dialog')
  panel.setAttribute('aria-label', cfg.title || cfg.name)
  panel.hidden = true

  // header
  const hd = h('div', 'hd')
  const logo = safeURL(cfg.logo_url, core.hub)
  if (logo) {
    const img = h('img')
    img.alt = ''
    img.src = logo
    hd.appendChild(img)
  }
  // the serving agent's avatar, when they have one (status() shows it);
  // one that fails to load (deleted, replaced, offline) is hidden, as when
  // they have none, rather than shown broken
  const face = (src: string) => {
    const i = h('img', 'av')
    i.alt = ''
    i.onerror = () => {
      i.hidden = true
      i.dataset.bad = i.src
    }
    i.src = src
    return i
  }
  const hav = hd.appendChild(face(''))
  hav.hidden = true
  const tt = h('div', 'tt')
  tt.append(h('div', 'ti', cfg.title || cfg.name), h('div', 'su'))
  const sub = tt.lastChild as HTMLElement
  hd.appendChild(tt)
  const help = cfg.help_url && safeURL(core.hub + cfg.help_url + '?lang=' + core.lang, core.hub)
  if (help) {
    const a = h('a', 'hl', T.help)
    a.href = help
    a.target = '_blank'
    a.rel = 'noopener'
    hd.appendChild(a)
  }
  if (!core.page) {
    const x = h('button', 'ib cl')
    x.type = 'button'
    x.setAttribute('aria-label', T.close)
    x.title = T.close
    x.appendChild(icon(ICON_X))
    x.onclick = () => core.close()
    hd.appendChild(x)
  }

  const cn = h('div', 'cn')
  const list = h('div', 'ms')
  list.setAttribute('role', 'log')
  list.setAttribute('aria-live', 'polite')
  const ty = h('div', 'ty', T.typing)
  ty.hidden = true

  // group chooser: before the first message of a conversation
  const chatting = () => !!core.conv && /^(queued|open)$/.test(core.conv.status || '')
  let chosen = false
  let group = core.group
  const gp = h('div', 'gp')
  gp.appendChild(h('div', 'q', T.group))
  for (const g of cfg.groups) {
    const b = h('button', '', g.label)
    b.type = 'button'
    b.dataset.group = g.id
    b.onclick = () => {
      group = g.id
      paintGroups()
      ta.focus()
    }
    gp.appendChild(b)
  }
  function paintGroups(): void {
    gp.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.group === group)))
    gp.hidden = !cfg.groups.length || chosen || chatting()
  }

  // composer
  const cp = h('div', 'cp')
  const tb = h('div', 'tb')
  const emB = h('button', 'ib')
  emB.type = 'button'
  emB.title = T.emoji
  emB.setAttribute('aria-label', T.emoji)
  emB.appendChild(icon(ICON_SMILE))
  const fiB = h('button', 'ib')
  fiB.type = 'button'
  fiB.title = T.file
  fiB.setAttribute('aria-label', T.file)
  fiB.appendChild(icon(ICON_CLIP))
  const fi = h('input')
  fi.type = 'file'
  fi.hidden = true
  if (cfg.upload.types.length) fi.accept = cfg.upload.types.join(',')
  tb.append(emB, fiB, fi)
  const em = h('div', 'em')
  em.hidden = true
  for (const e of EMOJI) {
    const b = h('button', '', e)
    b.type = 'button'
    b.onclick = () => {
      const s = ta.selectionStart ?? ta.value.length
      ta.value = ta.value.slice(0, s) + e + ta.value.slice(ta.selectionEnd ?? s)
      ta.selectionStart = ta.selectionEnd = s + e.length
      em.hidden = true
      ta.focus()
      typing()
    }
    em.appendChild(b)
  }
  const ta = h('textarea')
  ta.placeholder = T.placeholder
  ta.setAttribute('aria-label', T.placeholder)
  // No maxLength: a long paste is kept whole and the visitor is told how
  // much to cut (the hub takes at most MAX characters), never cut silently.
  const cc = h('div', 'cc')
  cc.hidden = true
  cc.setAttribute('aria-live', 'polite')
  const sd = h('button', 'ib sd')
  sd.type = 'button'
  sd.title = T.send
  sd.setAttribute('aria-label', T.send)
  sd.appendChild(icon(ICON_SEND))
  cp.append(em, tb, ta, sd, cc)
  emB.onclick = () => (em.hidden = !em.hidden)
  fiB.onclick = () => fi.click()
  fi.onchange = () => {
    const f = fi.files && fi.files[0]
    fi.value = ''
    if (f) upload(f)
  }
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      sendText()
    }
  })
  ta.addEventListener('input', () => {
    typing()
    count()
  })
  // count shows the length near the limit, and what is over it.
  function count(): number {
    const n = [...ta.value.trim()].length
    cc.hidden = n <= MAX - 500
    cc.className = n > MAX ? 'cc er' : 'cc'
    cc.textContent = n > MAX ? fmt(T.tooLong, { max: MAX, over: n - MAX }) : n + ' / ' + MAX
    return n
  }
  sd.onclick = sendText

  // leave-a-message view
  const fm = h('form', 'fm')
  fm.noValidate = true
  fm.hidden = true

  panel.append(hd, cn, gp, list, ty, cp, fm)
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') em.hidden ? core.close() : (em.hidden = true)
  })
  wrap.appendChild(panel)

  // ---- typing preview: at most one frame per 300 ms, "" when cleared/sent
  let lastT = 0
  let lastV = ''
  let tTimer = 0
  function typing(): void {
    clearTimeout(tTimer)
    const wait = 300 - (Date.now() - lastT)
    if (wait > 0) tTimer = setTimeout(flushTyping, wait) as unknown as number
    else flushTyping()
  }
  function flushTyping(): void {
    // the hub keeps 1,000 characters of a preview; a long paste sent whole
    // would pass the socket's frame limit and cost the visitor their socket
    const v = ta.value.slice(0, 1000)
    if (v === lastV) return
    if (core.send({ type: 'typing', text: v })) {
      lastV = v
      lastT = Date.now()
    }
  }

  function sendText(): void {
    const text = ta.value.trim()
    if (!text) return
    if (count() > MAX) {
      ta.focus()
      return
    }
    ta.value = ''
    count()
    em.hidden = true
    const cid = core.uuid()
    chosen = true
    core.local({ client_id: cid, text, sender_type: 'contact', direction: 'in' })
    core.post({ type: 'message', client_id: cid, text, ...(group ? { group } : null) })
    clearTimeout(tTimer)
    if (lastV !== '') core.send({ type: 'typing', text: '' })
    lastV = ''
  }

  // ---- uploads: checked here, then POSTed; the message carries the attachment id
  const allowed = (type: string) =>
    !cfg.upload.types.length || cfg.upload.types.some((p) => (p.endsWith('/*') ? type.startsWith(p.slice(0, -1)) : p === type))
  function size(n: number): string {
    return n >= 1 << 20 ? (n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0) + ' MB' : Math.ceil(n / 1024) + ' KB'
  }
  function upload(file: File): void {
    const bad =
      cfg.upload.max_bytes > 0 && file.size > cfg.upload.max_bytes
        ? fmt(T.tooBig, { n: size(cfg.upload.max_bytes) })
        : allowed(file.type)
          ? ''
          : T.badType
    if (bad) {
      note(bad, true)
      return
    }
    const cid = core.uuid()
    const url = /^image\//.test(file.type) ? URL.createObjectURL(file) : ''
    const m: Msg = { client_id: cid, text: '', sender_type: 'contact', direction: 'in', attachments: [{ url, name: file.name, type: file.type, size: file.size }] }
    core.local(m)
    const fail = (why: string) => {
      m.pending = false
      m.failed = true
      m.why = why
      core.emit('msgs')
    }
    if (!core.visitor) return fail(T.uploadFail)
    const fd = new FormData()
    fd.append('file', file)
    fetch(`${core.hub}/webhooks/web/${encodeURIComponent(core.channel)}/upload`, {
      method: 'POST',
      body: fd,
      headers: { 'X-Kefu-Visitor': core.visitor.id + ':' + core.visitor.token },
      credentials: 'omit',
    })
      .then((r) =>
        r.json().then(
          (j) => ({ ok: r.ok, j }),
          () => ({ ok: false, j: null }),
        ),
      )
      .then(({ ok, j }) => {
        const id = j && (j.id || (j.attachment && j.attachment.id))
        const e = (j && j.error) || {}
        if (!ok || !id)
          return fail(
            e.code === 'too_large' ? fmt(T.tooBig, { n: size(cfg.upload.max_bytes) }) : e.code === 'type_not_allowed' ? T.badType : T.uploadFail,
          )
        if (j.url) m.attachments![0].url = j.url
        core.post({ type: 'message', client_id: cid, text: '', attachments: [{ id }], ...(group ? { group } : null) })
      })
      .catch(() => fail(T.uploadFail))
  }

  // ---- the message list
  const els = new WeakMap<Msg, HTMLElement>()
  type Note = { el: HTMLElement; after: Msg | undefined }
  const notes: Note[] = []
  function note(text: string, err?: boolean): HTMLElement {
    const el = h('div', 'nt' + (err ? ' er' : ''), text)
    notes.push({ el, after: core.msgs[core.msgs.length - 1] })
    render()
    return el
  }
  function msgEl(m: Msg): HTMLElement {
    let el = els.get(m)
    const who = m.sender_type === 'contact' ? 'me' : m.sender_type === 'system' ? 'sy' : 'ag'
    if (!el) {
      el = h('div', 'm ' + who)
      els.set(m, el)
    }
    const st = m.failed ? 'failed' : m.pending ? 'pending' : 'sent'
    const rateable = m.sender_type === 'robot' && m.type === 'answer' && m.id
    const sig = [st, m.why, m.id, m.text, JSON.stringify(m.attachments || []), m.rich ? 'r' : '', rateable ? fb[m.id!] : ''].join('\u0000')
    if (el.dataset.sig === sig) return el
    el.dataset.sig = sig
    el.dataset.state = st
    if (m.id) el.dataset.id = m.id
    if (m.client_id) el.dataset.cid = m.client_id
    el.textContent = ''
    if (who === 'ag') {
      const n = el.appendChild(h('div', 'n', m.sender_name || (m.sender_type === 'robot' ? T.robot : T.agent)))
      const av = safeURL(m.sender_avatar || '', core.hub)
      if (av) n.prepend(face(av))
    }
    const b = h('div', 'b')
    // a rich answer shows its own images; its image attachments repeat them
    const shown = m.rich ? richImages(m.rich, core.hub) : []
    if (m.rich) b.appendChild(h('div', 'rx')).appendChild(rich(m.rich, core.hub, scroll))
    else if (m.text) b.appendChild(h('span', 't', m.text))
    for (const a of m.attachments || []) {
      const u = safeURL(a.url, core.hub)
      if (u && shown.includes(u)) continue
      if (u && /^image\//.test(a.type)) {
        const img = h('img')
        img.alt = a.name || ''
        img.src = u
        img.onload = scroll
        b.appendChild(img)
      } else {
        const l = h(u ? 'a' : 'span', '', a.name || 'file')
        if (u && l instanceof HTMLAnchorElement) {
          l.href = u
          l.target = '_blank'
          l.rel = 'noopener noreferrer'
        }
        b.appendChild(l)
      }
    }
    el.appendChild(b)
    if (rateable) el.appendChild(feedback(m.id!))
    if (who === 'me' && st !== 'sent') el.appendChild(h('div', 's', st === 'failed' ? T.failed + (m.why ? `: ${m.why}` : '') : T.sending))
    return el
  }
  // ---- "helpful?" under the robot's answers: sent once; 没帮助 offers a person
  const fb: Record<string, string> = {} // message id → '' (not rated), 's' sent, 'y'/'n' rated, 'd' rated before
  function feedback(id: string): HTMLElement {
    const row = h('div', 'fb')
    row.dataset.feedback = id
    const st = fb[id] || ''
    if (st === 'y' || st === 'n' || st === 'd') {
      row.appendChild(h('span', '', T.thanks))
      if (st === 'n') {
        const b = h('button', 'hu', T.human)
        b.type = 'button'
        b.onclick = () => {
          ta.value = '转人工' // the robot's handoff word, in every language
          sendText()
        }
        row.appendChild(b)
      }
      return row
    }
    for (const [helpful, label] of [[true, T.helpful], [false, T.unhelpful]] as const) {
      const b = h('button', '', label)
      b.type = 'button'
      b.disabled = st === 's'
      b.dataset.helpful = String(helpful)
      b.onclick = () => {
        if (core.send({ type: 'feedback', message_id: id, helpful })) {
          fb[id] = 's'
          pending[id] = helpful ? 'y' : 'n'
          render()
        }
      }
      row.appendChild(b)
    }
    return row
  }
  const pending: Record<string, string> = {}

  function render(): void {
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 60
    const kids: HTMLElement[] = notes.filter((n) => !n.after).map((n) => n.el)
    for (const m of core.msgs) {
      kids.push(msgEl(m))
      for (const n of notes) if (n.after === m) kids.push(n.el)
    }
    if (rate) kids.push(rate)
    kids.forEach((k, i) => {
      if (list.children[i] !== k) list.insertBefore(k, list.children[i] || null)
    })
    while (list.children.length > kids.length) list.lastChild!.remove()
    paintGroups()
    if (stick) scroll()
  }
  function scroll(): void {
    list.scrollTop = list.scrollHeight
  }

  // ---- status line, connection notice
  let queue = 0
  function status(): void {
    const a = core.conv && core.conv.status !== 'closed' && core.conv.agent
    sub.textContent = a ? a.name : queue > 0 ? fmt(T.queue, { n: queue }) : ''
    const av = a && safeURL(a.avatar || '', core.hub)
    if (av && hav.src !== av) hav.src = av
    hav.hidden = !av || hav.dataset.bad === hav.src
    cn.textContent = core.refused ? T.refused : core.connected ? '' : core.busy ? T.busy : T.offlineNote
    cn.hidden = !cn.textContent
  }

  // ---- rating form: the tenant's levels (labels), then that level's
  // reasons as toggle chips; five stars when the hub sends no scale
  let rate: HTMLElement | null = null
  function rating(conv: string): void {
    const box = h('div', 'rt')
    box.appendChild(h('div', 'q', T.rateTitle))
    const lv = cfg.rating_levels || []
    const st = h('div', lv.length ? 'st lv' : 'st')
    const rs = h('div', 'rs')
    let score = 0
    let picked: string[] = []
    const chip = (label: string, on: (b: HTMLButtonElement) => void, parent: HTMLElement): HTMLButtonElement => {
      const b = h('button', '', label)
      b.type = 'button'
      b.setAttribute('aria-pressed', 'false')
      b.onclick = () => on(b)
      parent.appendChild(b)
      return b
    }
    const levels = lv.length ? lv : [1, 2, 3, 4, 5].map((n) => ({ score: n, label: '★', reasons: [] as string[] }))
    for (const l of levels) {
      const b = chip(l.label, (b) => {
        score = l.score
        picked = []
        st.querySelectorAll('button').forEach((x) => x.setAttribute('aria-pressed', String(lv.length ? x === b : Number(x.dataset.score) <= score)))
        rs.textContent = ''
        for (const r of l.reasons || [])
          chip(r, (c) => {
            picked = picked.includes(r) ? picked.filter((x) => x !== r) : [...picked, r]
            c.setAttribute('aria-pressed', String(picked.includes(r)))
          }, rs)
        go.disabled = false
      }, st)
      b.dataset.score = String(l.score)
      if (!lv.length) b.setAttribute('aria-label', String(l.score))
    }
    const cm = h('textarea')
    cm.placeholder = T.comment
    cm.setAttribute('aria-label', T.comment)
    cm.maxLength = 1000
    const go = h('button', 'bt', T.submit)
    go.type = 'button'
    go.disabled = true
    go.onclick = () => {
      if (score && core.send({ type: 'rate', conversation_id: conv, score, comment: cm.value.trim(), reasons: picked })) go.disabled = true
    }
    box.dataset.conv = conv
    box.append(st, rs, cm, go)
    rate = box
    render()
    scroll()
  }

  // ---- leave-a-message form
  let leaveCid = ''
  let left = false
  const DEF: Field[] = [
    { name: 'name', label: T.name, type: 'text' },
    { name: 'phone', label: T.phone, type: 'tel' },
    { name: 'email', label: T.email, type: 'email' },
    { name: 'message', label: T.message, type: 'textarea', required: true },
  ]
  // the hub's default fields carry Chinese labels: show them in the UI language
  const ZH: Record<string, string> = { name: '姓名', phone: '电话', email: '邮箱', message: '留言内容' }
  function leaveForm(): void {
    fm.textContent = ''
    fm.appendChild(h('p', '', T.leaveTitle))
    const fields = cfg.offline_form.fields.length ? cfg.offline_form.fields : DEF
    const inputs: [Field, HTMLInputElement | HTMLTextAreaElement, HTMLElement][] = []
    for (const f of fields) {
      const std = DEF.find((d) => d.name === f.name && ZH[f.name] === f.label)
      const lb = h('label', '', (std ? std.label : f.label || f.name) + (f.required ? ' *' : ''))
      const inp = f.type === 'textarea' ? h('textarea') : h('input')
      if (inp instanceof HTMLInputElement) inp.type = f.type === 'tel' || f.type === 'email' ? f.type : 'text'
      inp.name = f.name
      inp.required = !!f.required
      inp.maxLength = f.type === 'textarea' ? 5000 : 200
      const er = h('span', 'e')
      lb.append(inp, er)
      fm.appendChild(lb)
      inputs.push([f, inp, er])
    }
    const go = h('button', 'bt', T.submit)
    go.type = 'submit'
    fm.appendChild(go)
    fm.onsubmit = (e) => {
      e.preventDefault()
      const out: Record<string, string> = {}
      let bad: HTMLElement | null = null
      for (const [f, inp, er] of inputs) {
        const v = inp.value.trim()
        const why =
          f.required && !v
            ? T.required
            : v && f.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)
              ? T.badEmail
              : v && f.type === 'tel' && !/^\+?[\d\s()-]{5,20}$/.test(v)
                ? T.badTel
                : ''
        er.textContent = why
        inp.setAttribute('aria-invalid', String(!!why))
        if (why && !bad) bad = inp
        if (v) out[f.name] = v
      }
      if (bad) return bad.focus()
      leaveCid = core.uuid()
      go.disabled = true
      core.post({ type: 'leave_message', client_id: leaveCid, fields: out, ...(group ? { group } : null) })
    }
  }
  function view(leave: boolean): void {
    fm.hidden = !leave
    list.hidden = cp.hidden = leave
    if (leave) {
      gp.hidden = ty.hidden = true
      if (!fm.firstChild) leaveForm()
    } else paintGroups()
  }

  // ---- frames from the loader's socket
  let tyTimer = 0
  // availability known only now (welcome, online frames): follow it until the visitor starts on the form
  let dirty = false
  let forced = false // the hub said nobody can answer (offline frame)
  fm.addEventListener('input', () => (dirty = true))
  // busy (too many chats on the hub): the chat with its notice, not the form (that needs the socket too)
  const decide = () => view(!core.online && !chatting() && !core.refused && !core.busy)
  core.on('msgs', render)
  core.on('state', () => {
    status()
    if (!panel.hidden && !dirty && !forced && !left && !leaveCid) decide()
  })
  core.on('frame', (f: Frame) => {
    switch (f.type) {
      case 'welcome':
        status()
        break
      case 'typing':
        ty.hidden = !f.typing || !fm.hidden
        clearTimeout(tyTimer)
        if (f.typing) tyTimer = setTimeout(() => (ty.hidden = true), 8000) as unknown as number
        break
      case 'message':
        if (f.message && f.message.sender_type === 'agent') ty.hidden = true
        break
      case 'queue':
        queue = f.position || 0
        if (core.conv && core.conv.id === f.conversation_id) core.conv.status = 'queued'
        status()
        break
      case 'agent':
        queue = 0
        if (core.conv && core.conv.id === f.conversation_id) core.conv.status = 'open'
        note(fmt(T.joined, { name: f.name || T.agent }))
        status()
        break
      case 'closed':
        queue = 0
        chosen = false
        note(T.ended)
        if (f.rate && (!rate || rate.dataset.conv !== f.conversation_id)) rating(f.conversation_id)
        status()
        break
      case 'rate':
        if (!rate || rate.dataset.conv !== f.conversation_id) rating(f.conversation_id)
        break
      case 'offline':
        forced = true
        if (!left) view(true)
        break
      case 'ack':
        if (f.feedback && pending[f.feedback]) {
          fb[f.feedback] = pending[f.feedback]
          render()
        }
        if (f.rate && rate && rate.dataset.conv === f.rate) {
          rate.textContent = ''
          rate.appendChild(h('div', 'q', T.rated))
        }
        if (f.client_id && f.client_id === leaveCid) {
          left = true
          fm.textContent = ''
          fm.appendChild(h('p', 'ok', T.left))
        }
        break
      case 'error':
        if (f.error && f.error.code === 'too_many_conversations') {
          // the channel has too many chats open: say so calmly, in the visitor's language
          for (const m of core.msgs) if (m.client_id === f.client_id) Object.assign(m, { failed: true, why: T.busyChats })
          if (f.client_id === leaveCid) note(T.busyChats, true)
          render()
        } else if (f.feedback) {
          fb[f.feedback] = f.error && f.error.code === 'conflict' ? 'd' : ''
          render()
        } else if (f.rate && f.error && f.error.code === 'conflict' && rate && rate.dataset.conv === f.rate) {
          // already rated (and the tenant allows no change now): say so, and
          // take the form away rather than offer a 提交 the hub refuses again
          rate.textContent = ''
          rate.appendChild(h('div', 'q', T.alreadyRated))
        } else if (!f.client_id && f.error && f.error.code !== 'too_many_connections') {
          // (a socket refused as busy says so in the header, calmly). A
          // refused rating reads 出错了 too, never the hub's English
          // message, and its form can be sent again.
          note(T.oops, true)
          const b = f.rate && rate && rate.dataset.conv === f.rate && rate.querySelector<HTMLButtonElement>('.bt')
          if (b) b.disabled = false
        }
        break
    }
  })

  // invitations above the launcher
  let iv: HTMLElement | null = null
  const uninvite = () => {
    if (iv) iv.remove()
    iv = null
  }

  render()
  status()
  return {
    show() {
      panel.hidden = false
      decide()
      if (fm.hidden) ta.focus()
      scroll()
    },
    hide() {
      panel.hidden = true
      em.hidden = true
    },
    invite(id, text, agent, auto, reply) {
      uninvite()
      const box = (iv = h('div', 'iv'))
      box.dataset.invite = auto ? 'auto' : 'manual'
      if (agent) box.appendChild(h('div', 'a', agent))
      box.appendChild(h('p', '', text))
      const b = h('div', 'b')
      const no = h('button', 'n', T.decline)
      const yes = h('button', 'y', T.accept)
      b.append(no, yes)
      box.append(b)
      const answer = (accepted: boolean) => {
        uninvite()
        reply(accepted)
      }
      no.onclick = () => answer(false)
      yes.onclick = () => answer(true)
      wrap.appendChild(box)
    },
    uninvite,
    inviting: () => !!iv,
  }
}

const reg = (window as any).__kefuChat
if (typeof reg === 'function') reg(mount)
