import { describe, it, expect, beforeEach } from 'vitest'
import { state, reset, applyEvent, expireTyping, upsertConv, addMessages, sortedConvs, nextUnread, markRead, windowState, noteSent, duration, waitingSeconds, unreadTotal, queueRow, ratingStars } from './store'
import type { Conversation, Message } from './api'

const ME = 'ag_me'
function conv(id: string, over: Partial<Conversation> = {}): Conversation {
  return { id, channel_id: 'ch_1', status: 'open', assignee_id: ME, last_seq: 0, updated_at: '2026-01-01T00:00:00Z', ...over }
}
let at = Date.parse('2026-01-01T00:00:00Z')
function msg(cid: string, seq: number, direction = 'in', id = `${cid}_m${seq}`): Message {
  at += 1000
  return { id, conversation_id: cid, seq, direction, sender_type: direction === 'in' ? 'contact' : 'agent', type: 'text', text: `t${seq}`, status: 'received', created_at: new Date(at).toISOString() }
}
let evId = 0
const created = (m: Message) => ({ id: ++evId, type: 'message.created', conversation_id: m.conversation_id, data: { message: m }, created_at: '' })

beforeEach(() => {
  reset()
  state.meId = ME
  state.view = 'mine'
  state.hidden = false
})

describe('unread counts', () => {
  it('counts each new inbound message once, not replays, not own replies', () => {
    upsertConv(conv('c1'))
    const m1 = msg('c1', 1)
    applyEvent(created(m1))
    applyEvent(created(m1)) // a repeat (e.g. a replay after reconnecting)
    applyEvent(created(msg('c1', 2)))
    applyEvent(created(msg('c1', 3, 'out')))
    expect(state.convs.c1.unread).toBe(2)
    expect(state.convs.c1.messages.map((m) => m.seq)).toEqual([1, 2, 3])
  })

  it('does not count messages in the selected conversation unless the page is hidden', () => {
    upsertConv(conv('c1'))
    state.selected = 'c1'
    applyEvent(created(msg('c1', 1)))
    expect(state.convs.c1.unread).toBe(0)
    state.hidden = true
    applyEvent(created(msg('c1', 2)))
    expect(state.convs.c1.unread).toBe(1)
    markRead('c1')
    expect(state.convs.c1.unread).toBe(0)
  })

  it('does not count internal notes', () => {
    upsertConv(conv('c1'))
    applyEvent(created(msg('c1', 1, 'internal')))
    expect(state.convs.c1.unread).toBe(0)
  })

  it('a newly assigned conversation counts its inbound history once', () => {
    const c = conv('c2', { last_seq: 2 })
    const e = { id: ++evId, type: 'conversation.assigned', conversation_id: 'c2', data: { conversation: c, messages: [msg('c2', 1), msg('c2', 2)] }, created_at: '' }
    const r = applyEvent(e)
    expect(r.notify?.convId).toBe('c2')
    applyEvent({ ...e, id: ++evId }) // the same history again
    expect(state.convs.c2.unread).toBe(2)
    expect(unreadTotal()).toBe(2)
  })

  it('asks the caller to fetch a conversation it does not know', () => {
    expect(applyEvent(created(msg('cX', 1))).missing).toBe('cX')
  })
})

describe('views and Alt+Z', () => {
  it('filters mine / queued / all', () => {
    upsertConv(conv('a'))
    upsertConv(conv('b', { status: 'queued', assignee_id: null }))
    upsertConv(conv('c', { assignee_id: 'ag_other' }))
    expect(sortedConvs('mine').map((c) => c.conv.id)).toEqual(['a'])
    expect(sortedConvs('queued').map((c) => c.conv.id)).toEqual(['b'])
    expect(sortedConvs('all')).toHaveLength(3)
  })

  it('jumps to the next conversation with unread messages, wrapping', () => {
    for (const id of ['x', 'y', 'z']) upsertConv(conv(id, { last_message_at: new Date(Date.parse('2026-01-01T00:00:00Z') + id.charCodeAt(0) * 1000).toISOString() }))
    // list order: z, y, x (newest first)
    state.convs.x.unread = 1
    state.convs.z.unread = 3
    expect(nextUnread(sortedConvs(), 'z')).toBe('x')
    expect(nextUnread(sortedConvs(), 'x')).toBe('z')
    expect(nextUnread(sortedConvs(), '')).toBe('z')
    state.convs.x.unread = 0
    expect(nextUnread(sortedConvs(), 'z')).toBe(null)
  })
})

describe('merging', () => {
  it('a list snapshot does not overwrite a newer event state', () => {
    upsertConv(conv('c1', { status: 'closed', updated_at: '2026-01-01T00:05:00Z' }), true)
    upsertConv(conv('c1', { status: 'open', updated_at: '2026-01-01T00:01:00Z' }))
    expect(state.convs.c1.conv.status).toBe('closed')
  })

  it('keeps messages in seq order whatever order they arrive in', () => {
    const cs = upsertConv(conv('c1'))
    addMessages(cs, [msg('c1', 3), msg('c1', 1)])
    addMessages(cs, [msg('c1', 2), msg('c1', 1)])
    expect(cs.messages.map((m) => m.seq)).toEqual([1, 2, 3])
    expect(cs.lastText).toBe('t3')
  })
})

describe('reply window countdown', () => {
  const now = Date.parse('2026-03-01T10:00:00Z')
  it('counts down to expires_at and closes itself', () => {
    const rw = { open: true, expires_at: '2026-03-03T09:59:00Z', remaining: 5, max: 5 }
    const w = windowState(rw, now)!
    expect(w.closed).toBe(false)
    expect(w.secondsLeft).toBe(47 * 3600 + 59 * 60)
    expect(duration(w.secondsLeft!)).toBe('47:59:00')
    const later = windowState(rw, Date.parse('2026-03-03T10:00:00Z'))!
    expect(later).toMatchObject({ closed: true, reason: 'expired', secondsLeft: 0 })
  })

  it('closes when the quota is used up, and says why when the server closed it', () => {
    const cs = upsertConv(conv('w', { reply_window: { open: true, expires_at: '2026-03-02T00:00:00Z', remaining: 1, max: 5 } }))
    noteSent(cs)
    expect(windowState(cs.conv.reply_window, now)).toMatchObject({ closed: true, reason: 'quota', remaining: 0 })
    expect(windowState({ open: false, reason: 'unsubscribed', message: '客户已取消关注' }, now)).toMatchObject({ closed: true, reason: 'unsubscribed', message: '客户已取消关注' })
    expect(windowState(undefined, now)).toBeNull()
  })
})

describe('waiting time', () => {
  it('runs from the customer’s last message until an agent answers', () => {
    const cs = upsertConv(conv('c1'))
    const m = msg('c1', 1)
    addMessages(cs, [m])
    expect(waitingSeconds(cs, Date.parse(m.created_at) + 75000)).toBe(75)
    addMessages(cs, [msg('c1', 2, 'out')])
    expect(waitingSeconds(cs, Date.parse(m.created_at) + 75000)).toBe(0)
  })
})

describe('typing preview', () => {
  it('shows what a web visitor is typing until they send or go quiet', () => {
    upsertConv(conv('c1'))
    const typing = (preview: string, on = true) => ({ id: 0, type: 'typing', conversation_id: 'c1', data: { by: 'contact', typing: on, preview }, created_at: '' })
    applyEvent(typing('我想问一下'))
    expect(state.typing.c1.preview).toBe('我想问一下')
    applyEvent({ id: 0, type: 'typing', conversation_id: 'c1', data: { by: 'agent', typing: true }, created_at: '' })
    expect(state.typing.c1.preview).toBe('我想问一下') // another agent typing is not the customer
    applyEvent(created(msg('c1', 1)))
    expect(state.typing.c1).toBeUndefined() // the message arrived
    applyEvent(typing('还有'))
    expireTyping(Date.now() + 60000)
    expect(state.typing.c1).toBeUndefined()
    applyEvent(typing('x'))
    applyEvent(typing('', false))
    expect(state.typing.c1).toBeUndefined()
  })
})

describe('list data embedded by the API', () => {
  const T0 = Date.parse('2026-01-01T00:10:00Z')
  it('maps a queue row: customer name, channel, last message and a wait that keeps counting', () => {
    const q = {
      ...conv('q1', { status: 'queued', assignee_id: null, channel_type: 'wechat' }),
      contact: { id: 'ct_1', name: '王小明', external_id: 'o_abcdef123456' },
      last_message: { seq: 3, direction: 'in', type: 'text', text: '  我的订单\n还没到 ' },
      waiting_seconds: 75,
      group_name: '售后',
      can_pick_up: true,
      position: 2,
    }
    const r = queueRow(q, T0, T0 + 10_000, '访客')
    expect(r).toEqual({ id: 'q1', name: '王小明', channelType: 'wechat', preview: '我的订单 还没到', waited: 85, group: '售后', canPickUp: true, position: 2 })
  })

  it('falls back: anonymous visitor, channel type from the admin list, attachment preview, queued_at', () => {
    const q = {
      ...conv('q2', { status: 'queued', channel_id: 'ch_web', queued_at: '2026-01-01T00:09:00Z' }),
      contact: { id: 'ct_2', name: '', external_id: 'v_0123456789' },
      last_message: { seq: 1, direction: 'in', type: 'image', text: '' },
      can_pick_up: false,
    }
    const r = queueRow(q, T0, T0, 'Visitor', { ch_web: 'web' })
    expect(r.name).toBe('Visitor 456789')
    expect(r.channelType).toBe('web')
    expect(r.preview).toBe('[image]')
    expect(r.waited).toBe(60)
    expect(r.canPickUp).toBe(false)
    expect(queueRow({ ...q, last_message: { seq: 2, direction: 'internal', type: 'text', text: 'note' } }, T0, T0, 'V').preview).toBe('')
  })

  it('takes the list preview until newer messages are loaded', () => {
    const cs = upsertConv(conv('c1', { last_seq: 4, last_message: { seq: 4, direction: 'out', type: 'text', text: '好的' } }))
    expect(cs.lastText).toBe('好的')
    addMessages(cs, [msg('c1', 5)])
    expect(cs.lastText).toBe('t5')
    // an older list snapshot does not overwrite what was loaded
    upsertConv(conv('c1', { last_seq: 4, updated_at: '2027-01-01T00:00:00Z', last_message: { seq: 4, direction: 'out', type: 'text', text: '好的' } }))
    expect(cs.lastText).toBe('t5')
    // a later event without the embedded fields keeps them
    upsertConv(conv('c1', { updated_at: '2028-01-01T00:00:00Z' }), true)
    expect(cs.conv.last_message?.text).toBe('好的')
  })

  it('derives the wait from the last message before the history is loaded', () => {
    const now = Date.parse('2026-01-01T01:00:00Z')
    const waitingIn = upsertConv(conv('w1', { last_message_at: '2026-01-01T00:59:00Z', last_message: { seq: 2, direction: 'in', type: 'text', text: '在吗' } }))
    expect(waitingSeconds(waitingIn, now)).toBe(60)
    const answered = upsertConv(conv('w2', { last_message_at: '2026-01-01T00:59:00Z', last_message: { seq: 2, direction: 'out', type: 'text', text: '在' } }))
    expect(waitingSeconds(answered, now)).toBe(0)
  })

  it('keeps the rating and renders stars as text', () => {
    upsertConv(conv('r1', { rating: { score: 4, comment: '很好' } }), true)
    upsertConv(conv('r1', { updated_at: '2027-01-01T00:00:00Z' }), true)
    expect(state.convs.r1.conv.rating?.score).toBe(4)
    expect(ratingStars({ score: 4 })).toBe('★★★★☆')
    expect(ratingStars({ score: 9 })).toBe('★★★★★')
  })

  it('takes a rating with its reasons from the rated event, and a changed one without', () => {
    upsertConv(conv('r2'), true)
    const rated = (data: Record<string, unknown>) => ({ id: ++evId, type: 'conversation.rated', conversation_id: 'r2', data, created_at: '' })
    applyEvent(rated({ score: 2, comment: '慢', reasons: ['等待时间长', '服务态度差'] }))
    expect(state.convs.r2.conv.rating?.reasons).toEqual(['等待时间长', '服务态度差'])
    applyEvent(rated({ score: 5, comment: '' }))
    expect(state.convs.r2.conv.rating).toMatchObject({ score: 5, reasons: [] })
  })
})

// Issue 18 bug 1: the websocket's message.updated (sent) can arrive before
// the answer to the agent's POST (still pending): the reply must not go back
// to 发送中.
describe('a reply’s status never goes back to pending', () => {
  it('keeps sent when the POST answer arrives after the update', () => {
    const cs = upsertConv(conv('c1'))
    const sent = { ...msg('c1', 2, 'out'), status: 'sent' }
    applyEvent(created({ ...sent, status: 'sent' }))
    applyEvent({ id: ++evId, type: 'message.updated', conversation_id: 'c1', data: { message: sent }, created_at: '' })
    addMessages(cs, [{ ...sent, status: 'pending' }])
    expect(cs.messages.map((m) => m.status)).toEqual(['sent'])
  })
  it('still takes a later failure, and a retry of a failure', () => {
    const cs = upsertConv(conv('c1'))
    const m = { ...msg('c1', 2, 'out'), status: 'pending' }
    addMessages(cs, [m])
    addMessages(cs, [{ ...m, status: 'failed', error: 'refused' }])
    expect(cs.messages[0].status).toBe('failed')
    addMessages(cs, [{ ...m, status: 'pending' }])
    expect(cs.messages[0].status).toBe('pending')
  })
})

// Issue 18 bug 4: a rating given while the agent looks shows at once.
describe('conversation.rated', () => {
  it('sets the rating of a known conversation', () => {
    upsertConv(conv('c1'))
    applyEvent({ id: ++evId, type: 'conversation.rated', conversation_id: 'c1', data: { conversation_id: 'c1', score: 4, comment: '还行' }, created_at: '2026-01-01T00:00:00Z' })
    expect(state.convs.c1.conv.rating).toMatchObject({ score: 4, comment: '还行' })
    expect(ratingStars(state.convs.c1.conv.rating!)).toBe('★★★★☆')
  })
})
