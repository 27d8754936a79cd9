// Client state for the workbench: conversations and their messages, merged
// idempotently from REST loads and websocket events (a replayed or repeated
// event never duplicates anything, and never counts as unread twice).
import { reactive, ref } from 'vue'
import type { Contact, Conversation, LastMessage, Message, QueuedConversation, Rating, ReplyWindow } from './api'
import type { HubEvent } from './events'

export interface ConvState {
  conv: Conversation
  messages: Message[]
  loaded: boolean
  hasOlder: boolean
  unread: number
  lastText: string
}

export type View = 'mine' | 'queued' | 'all'

export interface Typing {
  preview: string
  at: number
}

export const state = reactive({
  convs: {} as Record<string, ConvState>,
  selected: '' as string,
  meId: '' as string,
  view: 'mine' as View,
  typing: {} as Record<string, Typing>,
  // when the page is hidden even the selected conversation collects unread
  hidden: false,
})

function newer(a: Conversation, b: Conversation): boolean {
  return Date.parse(a.updated_at) >= Date.parse(b.updated_at)
}

// upsertConv merges a conversation. Websocket events (applied in event-id
// order) and the answers to the agent's own actions are authoritative
// (force); a list snapshot only replaces what it is not older than.
export function upsertConv(c: Conversation, force = false): ConvState {
  const cur = state.convs[c.id]
  if (!cur) {
    state.convs[c.id] = { conv: c, messages: [], loaded: false, hasOlder: false, unread: 0, lastText: '' }
    const cs = state.convs[c.id]
    if (c.last_message && c.last_message.direction !== 'internal') cs.lastText = previewText(c.last_message)
    return cs
  }
  if (force || newer(c, cur.conv))
    cur.conv = {
      ...cur.conv,
      ...c,
      contact: c.contact ?? cur.conv.contact,
      reply_window: c.reply_window ?? cur.conv.reply_window,
      rating: c.rating ?? cur.conv.rating,
      channel_type: c.channel_type || cur.conv.channel_type,
      last_message: c.last_message ?? cur.conv.last_message,
    }
  // a list's preview counts only when it is not older than what is loaded
  const lm = c.last_message
  const loaded = cur.messages.length ? cur.messages[cur.messages.length - 1].seq : 0
  if (lm && lm.direction !== 'internal' && lm.seq > loaded) cur.lastText = previewText(lm)
  return cur
}

// previewText: a list preview of a message — its text, else the kind of
// attachment it carries ([image], [file] …).
export function previewText(m: Pick<LastMessage, 'type' | 'text'>): string {
  const s = (m.text ?? '').replace(/\s+/g, ' ').trim()
  return s || (m.type && m.type !== 'text' ? '[' + m.type + ']' : '')
}

// customerName: the customer's name, else 访客/Visitor and the end of their
// channel id (web visitors are anonymous until they say who they are).
export function customerName(c: Pick<Conversation, 'contact'>, unknown: string): string {
  const ext = c.contact?.external_id ?? ''
  return c.contact?.name || (ext ? `${unknown} ${ext.slice(-6)}` : unknown)
}

export interface QueueRow {
  id: string
  name: string
  channelType: string
  preview: string
  // seconds the customer has waited, counted on from when the row was fetched
  waited: number
  group: string
  canPickUp: boolean
  position?: number
}

// queueRow maps one GET /queue row to what the queue list shows: the
// customer, the channel, the last thing said and the wait. fetchedAt is when
// the answer arrived, so the wait keeps counting between fetches.
export function queueRow(q: QueuedConversation, fetchedAt: number, now: number, unknown: string, channelTypes: Record<string, string> = {}): QueueRow {
  const base = q.waiting_seconds ?? (q.queued_at ? Math.floor((fetchedAt - Date.parse(q.queued_at)) / 1000) : 0)
  const lm = q.last_message
  return {
    id: q.id,
    name: customerName(q, unknown),
    channelType: q.channel_type || channelTypes[q.channel_id] || '',
    preview: lm && lm.direction !== 'internal' ? previewText(lm) : '',
    waited: Math.max(0, base + Math.floor((now - fetchedAt) / 1000)),
    group: q.group_name ?? '',
    canPickUp: q.can_pick_up !== false,
    position: q.position,
  }
}

// myAvatar is the signed-in agent's avatar URL ('' for none): the header
// shows it, 个人设置 changes it.
export const myAvatar = ref('')

// ratingStars renders a 1–5 score as text stars: ★★★★☆.
export function ratingStars(r: Rating): string {
  const n = Math.max(0, Math.min(5, Math.round(r.score)))
  return '★'.repeat(n) + '☆'.repeat(5 - n)
}

// Once the platform accepted a message it never goes back to pending (a
// failed one may: a retry).
const accepted = new Set(['sent', 'delivered', 'read'])

// merged: a repeat of a known message. An older copy (the answer to the
// agent's POST, still "pending") arriving after the websocket update
// ("sent") must not take the message back to 发送中.
function merged(cur: Message, m: Message): Message {
  return accepted.has(cur.status) && m.status === 'pending' ? { ...cur, ...m, status: cur.status } : { ...cur, ...m }
}

// addMessages merges messages by id (a repeat updates in place), keeps them
// in seq order and returns how many were new.
export function addMessages(cs: ConvState, ms: Message[]): number {
  let added = 0
  for (const m of ms) {
    const i = cs.messages.findIndex((x) => x.id === m.id)
    if (i >= 0) cs.messages[i] = merged(cs.messages[i], m)
    else {
      cs.messages.push(m)
      added++
    }
  }
  cs.messages.sort((a, b) => a.seq - b.seq || (a.created_at < b.created_at ? -1 : 1))
  const last = [...cs.messages].reverse().find((m) => m.direction !== 'internal')
  if (last) cs.lastText = last.text || (last.attachments?.length ? '[' + (last.attachments[0].name || last.type) + ']' : '')
  return added
}

export interface Applied {
  // a conversation the state does not know yet (the caller fetches it)
  missing?: string
  // something the agent should be told about (sound, notification)
  notify?: { convId: string; text: string; kind: 'message' | 'conversation' }
}

function countsAsUnread(cs: ConvState): boolean {
  return state.selected !== cs.conv.id || state.hidden
}

// applyEvent folds one websocket event into the state.
export function applyEvent(e: HubEvent): Applied {
  const d = e.data ?? {}
  const out: Applied = {}
  if (e.type === 'typing' && e.conversation_id) {
    if (d.by === 'contact') {
      if (d.typing === false) delete state.typing[e.conversation_id]
      else state.typing[e.conversation_id] = { preview: String(d.preview ?? ''), at: Date.now() }
    }
    return out
  }
  if (d.conversation) {
    const known = !!state.convs[d.conversation.id]
    const cs = upsertConv(d.conversation as Conversation, true)
    let newIn = 0
    if (Array.isArray(d.messages)) {
      const ids = new Set(cs.messages.map((m) => m.id))
      newIn = (d.messages as Message[]).filter((m) => m.direction === 'in' && !ids.has(m.id)).length
      addMessages(cs, d.messages)
    }
    if (e.type === 'conversation.assigned' || e.type === 'conversation.queued' || e.type === 'conversation.created') {
      if (!known || newIn) {
        if (countsAsUnread(cs)) cs.unread += newIn || (known ? 0 : 1)
        out.notify = { convId: cs.conv.id, text: cs.lastText, kind: 'conversation' }
      }
    }
    if (e.type === 'conversation.closed') delete state.typing[cs.conv.id]
  }
  if (e.type === 'conversation.rated' && e.conversation_id && state.convs[e.conversation_id]) {
    const reasons = Array.isArray(d.reasons) ? d.reasons.map(String) : []
    state.convs[e.conversation_id].conv.rating = { score: Number(d.score), comment: String(d.comment ?? ''), reasons, created_at: e.created_at }
  }
  if ((e.type === 'message.created' || e.type === 'message.updated') && d.message && e.conversation_id) {
    const cs = state.convs[e.conversation_id]
    if (!cs) {
      out.missing = e.conversation_id
      return out
    }
    if (d.contact && !cs.conv.contact) cs.conv.contact = d.contact
    const m = d.message as Message
    const added = addMessages(cs, [m])
    if (e.type === 'message.created') {
      if (m.seq > cs.conv.last_seq) cs.conv.last_seq = m.seq
      if (m.direction !== 'internal') cs.conv.last_message_at = m.created_at
      if (added && m.direction === 'in') {
        delete state.typing[cs.conv.id]
        if (countsAsUnread(cs)) cs.unread++
        out.notify = { convId: cs.conv.id, text: m.text, kind: 'message' }
      }
    }
  }
  return out
}

export function inView(cs: ConvState, view: View, meId: string): boolean {
  switch (view) {
    case 'mine':
      return cs.conv.assignee_id === meId && (cs.conv.status === 'open' || cs.conv.status === 'closed')
    case 'queued':
      return cs.conv.status === 'queued'
    default:
      return true
  }
}

function activity(c: Conversation): number {
  return Date.parse(c.last_message_at ?? c.updated_at)
}

export function sortedConvs(view: View = state.view): ConvState[] {
  return Object.values(state.convs)
    .filter((cs) => inView(cs, view, state.meId))
    .sort((a, b) => {
      // closed ones sink below the live ones
      const ca = a.conv.status === 'closed' ? 1 : 0
      const cb = b.conv.status === 'closed' ? 1 : 0
      return ca - cb || activity(b.conv) - activity(a.conv)
    })
}

export function unreadTotal(): number {
  return Object.values(state.convs).reduce((n, cs) => n + (inView(cs, 'mine', state.meId) || cs.conv.status === 'queued' ? cs.unread : 0), 0)
}

// nextUnread is Alt+Z: the next conversation (in list order, after the
// selected one, wrapping) that has unread messages.
export function nextUnread(list: ConvState[] = sortedConvs(), selected = state.selected): string | null {
  if (list.length === 0) return null
  const start = list.findIndex((cs) => cs.conv.id === selected)
  for (let i = 1; i <= list.length; i++) {
    const cs = list[(start + i + list.length) % list.length]
    if (cs.unread > 0 && cs.conv.id !== selected) return cs.conv.id
  }
  return null
}

export function markRead(id: string) {
  const cs = state.convs[id]
  if (cs) cs.unread = 0
}

// waitingSeconds: how long the customer has waited for an answer — since the
// last inbound message when the newest message is the customer's, else 0.
export function waitingSeconds(cs: ConvState, now = Date.now()): number {
  if (cs.conv.status === 'closed') return 0
  const last = [...cs.messages].reverse().find((m) => m.direction === 'in' || m.direction === 'out')
  if (last) return last.direction === 'in' ? Math.max(0, Math.floor((now - Date.parse(last.created_at)) / 1000)) : 0
  // history not loaded yet: the list's last message tells who spoke last
  const lm = cs.conv.last_message
  if (lm && lm.direction === 'out') return 0
  if (lm && lm.direction === 'in' && cs.conv.last_message_at)
    return Math.max(0, Math.floor((now - Date.parse(cs.conv.last_message_at)) / 1000))
  // else only a queued conversation is known to wait
  const since = cs.conv.status === 'queued' ? cs.conv.queued_at : undefined
  return since ? Math.max(0, Math.floor((now - Date.parse(since)) / 1000)) : 0
}

export interface WindowState {
  closed: boolean
  reason: string // expired | quota | unsubscribed | ''
  message: string
  secondsLeft: number | null
  remaining: number | null
  max: number | null
}

// windowState turns a conversation's reply_window into what the composer
// shows at `now`: it counts down locally and closes itself at expires_at.
export function windowState(rw: ReplyWindow | undefined, now = Date.now()): WindowState | null {
  if (!rw) return null
  const secondsLeft = rw.expires_at ? Math.max(0, Math.floor((Date.parse(rw.expires_at) - now) / 1000)) : null
  let closed = !rw.open
  let reason = rw.open ? '' : rw.reason || 'expired'
  if (!closed && secondsLeft === 0) {
    closed = true
    reason = 'expired'
  }
  if (!closed && rw.remaining !== undefined && rw.remaining <= 0) {
    closed = true
    reason = 'quota'
  }
  return { closed, reason, message: rw.message ?? '', secondsLeft, remaining: rw.remaining ?? null, max: rw.max ?? null }
}

// noteSent counts one reply against the window's quota (the next GET
// brings the authoritative number).
export function noteSent(cs: ConvState) {
  const rw = cs.conv.reply_window
  if (rw && typeof rw.remaining === 'number') cs.conv.reply_window = { ...rw, remaining: Math.max(0, rw.remaining - 1) }
}

export function duration(sec: number): string {
  const h = Math.floor(sec / 3600)
  const m = Math.floor((sec % 3600) / 60)
  const s = sec % 60
  const p = (n: number) => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${p(m)}:${p(s)}` : `${m}:${p(s)}`
}

export function expireTyping(now = Date.now(), ttl = 8000) {
  for (const [k, v] of Object.entries(state.typing)) if (now - v.at > ttl) delete state.typing[k]
}

// withContacts fills in conversation.contact where a list answer left it
// out, one GET /contacts/:id per distinct contact (cached, 4 at a time).
const contactCache = new Map<string, Promise<Contact | null>>()
export async function withContacts(convs: Conversation[]): Promise<void> {
  const todo = convs.filter((c) => !c.contact && c.contact_id)
  let i = 0
  const worker = async () => {
    while (i < todo.length) {
      const c = todo[i++]
      const id = c.contact_id!
      if (!contactCache.has(id)) contactCache.set(id, fetchContact(id).catch(() => null))
      const ct = await contactCache.get(id)!
      if (ct) {
        c.contact = ct
        const cs = state.convs[c.id]
        if (cs && !cs.conv.contact) cs.conv.contact = ct
      }
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
}
let fetchContact: (id: string) => Promise<Contact> = () => Promise.reject(new Error('no loader'))
export function setContactLoader(f: (id: string) => Promise<Contact>) {
  fetchContact = f
}

// afterPickUp: the conversation is ours now, so its customer and history
// (which the queue does not show) can be read.
export async function afterPickUp(id: string, load: { conversation: (id: string) => Promise<Conversation>; messages: (id: string) => Promise<{ messages: Message[] }> }) {
  const cs = upsertConv(await load.conversation(id), true)
  addMessages(cs, (await load.messages(id)).messages)
  cs.loaded = true
  cs.hasOlder = (cs.messages[0]?.seq ?? 1) > 1
}

export function reset() {
  state.convs = {}
  state.selected = ''
  state.typing = {}
}
