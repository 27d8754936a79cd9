// Client state for the workbench: conversations and their messages, merged
// idempotently from REST loads and websocket events (a replayed or repeated
// event never duplicates anything).
import { reactive } from 'vue'
import type { Conversation, Message } from './api'
import type { HubEvent } from './events'

export interface ConvState {
  conv: Conversation
  messages: Message[]
  loaded: boolean
  unread: number
  lastText: string
}

export const state = reactive({
  convs: {} as Record<string, ConvState>,
  selected: '' as string,
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
    state.convs[c.id] = { conv: c, messages: [], loaded: false, unread: 0, lastText: '' }
    return state.convs[c.id]
  }
  if (force || newer(c, cur.conv)) cur.conv = { ...cur.conv, ...c, contact: c.contact ?? cur.conv.contact }
  return cur
}

export function addMessages(cs: ConvState, ms: Message[]) {
  for (const m of ms) {
    const i = cs.messages.findIndex((x) => x.id === m.id)
    if (i >= 0) cs.messages[i] = { ...cs.messages[i], ...m }
    else cs.messages.push(m)
  }
  cs.messages.sort((a, b) => a.seq - b.seq)
  const last = cs.messages[cs.messages.length - 1]
  if (last) cs.lastText = last.text
}

// applyEvent folds one websocket event into the state. It returns the id of
// a conversation the state does not know yet (the caller fetches it).
export function applyEvent(e: HubEvent): string | null {
  const d = e.data ?? {}
  if (d.conversation) {
    const cs = upsertConv(d.conversation as Conversation, true)
    if (Array.isArray(d.messages)) addMessages(cs, d.messages)
  }
  if ((e.type === 'message.created' || e.type === 'message.updated') && d.message && e.conversation_id) {
    const cs = state.convs[e.conversation_id]
    if (!cs) return e.conversation_id
    if (d.contact && !cs.conv.contact) cs.conv.contact = d.contact
    const m = d.message as Message
    const known = cs.messages.some((x) => x.id === m.id)
    addMessages(cs, [m])
    if (e.type === 'message.created') {
      cs.conv.last_message_at = m.created_at
      if (!known && m.direction === 'in' && state.selected !== cs.conv.id) cs.unread++
    }
  }
  return null
}

export function sortedConvs(): ConvState[] {
  return Object.values(state.convs).sort(
    (a, b) => Date.parse(b.conv.last_message_at ?? b.conv.updated_at) - Date.parse(a.conv.last_message_at ?? a.conv.updated_at),
  )
}

export function reset() {
  state.convs = {}
  state.selected = ''
}
