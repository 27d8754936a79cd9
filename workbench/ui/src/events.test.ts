import { describe, it, expect, beforeAll } from 'vitest'

beforeAll(() => {
  const mem = new Map<string, string>([['kefu.token', 'ks_test']])
  ;(globalThis as any).sessionStorage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => mem.set(k, v), removeItem: (k: string) => mem.delete(k) }
})

async function stream() {
  const { EventStream } = await import('./events')
  const seen: number[] = []
  const states: string[] = []
  const s = new EventStream(
    (e) => seen.push(e.id),
    (st) => states.push(st),
    () => {},
  )
  return { s, seen, states }
}
const ev = (id: number, type = 'message.created') => JSON.stringify({ id, type, data: {}, created_at: '' })

describe('EventStream resume', () => {
  it('starts from the id the server names on the first connection', async () => {
    const { s, seen, states } = await stream()
    expect(JSON.parse(s.authFrame())).toEqual({ type: 'auth', token: 'ks_test' })
    s.handle(JSON.stringify({ type: 'ready', last_event_id: 41 }))
    expect(states).toEqual(['open'])
    s.handle(ev(41)) // already in the snapshot
    s.handle(ev(42))
    expect(seen).toEqual([42])
  })

  it('resumes after the last handled event and drops replays and repeats', async () => {
    const { s, seen } = await stream()
    s.handle(JSON.stringify({ type: 'ready', last_event_id: 0 }))
    for (const id of [1, 2, 3]) s.handle(ev(id))
    // the socket drops; the next one authenticates with last_event_id 3
    expect(JSON.parse(s.authFrame()).last_event_id).toBe(3)
    s.handle(JSON.stringify({ type: 'ready', last_event_id: 5 }))
    // the server replays from 2 (overlap) and sends 4, 5 it kept
    for (const id of [2, 3, 4, 5, 5]) s.handle(ev(id))
    expect(seen).toEqual([1, 2, 3, 4, 5])
    expect(s.lastEventId).toBe(5)
  })

  it('passes ephemeral events (id 0) every time and ignores junk', async () => {
    const { s, seen } = await stream()
    s.handle(JSON.stringify({ type: 'ready', last_event_id: 10 }))
    s.handle(ev(0, 'typing'))
    s.handle(ev(0, 'typing'))
    s.handle('not json')
    s.handle(JSON.stringify({ type: 'pong' }))
    s.handle(JSON.stringify({ type: 'message.created' })) // no id
    expect(seen).toEqual([0, 0])
    expect(s.lastEventId).toBe(10)
  })
})
