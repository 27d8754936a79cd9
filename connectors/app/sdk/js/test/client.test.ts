import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { KefuError, memoryStorage, timing } from '../src/index'
import type { Message } from '../src/types'
import { jwtSub } from '../src/util'
import { FakeNet, b64url, client, last, msg, tick, welcome } from './fake'

beforeEach(() => {
  vi.useFakeTimers()
  vi.spyOn(Math, 'random').mockReturnValue(0.5)
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

function collect(c: ReturnType<typeof client>['c']) {
  const got: Message[] = []
  c.on('message', (m) => got.push(m))
  return got
}

describe('identify', () => {
  it('sends the user id and hash and opens the socket with the token in the first frame, not the URL', async () => {
    const { c, net } = client()
    const s = await c.identify({ userId: 'u42', userHash: 'ab12', name: '李雷', device: { platform: 'ios', app_version: '3.1' } })
    expect(s.token).toBe('tok1')
    expect(net.posts('/identify')[0].body).toMatchObject({ user_id: 'u42', user_hash: 'ab12', name: '李雷', device: { platform: 'ios' } })
    await tick()
    expect(net.ws.url).toBe('ws://hub.test/app/v1/ak_1/ws')
    net.ws.open()
    expect(net.ws.sent[0]).toMatchObject({ type: 'hello', token: 'tok1', device: { platform: 'ios' } })
  })

  it('a refused hash rejects, emits error and opens no socket', async () => {
    const net = new FakeNet()
    net.route = () => ({ status: 401, body: { error: { code: 'bad_identity', message: 'wrong user_hash' } } })
    const { c } = client(net)
    const errs: string[] = []
    c.on('error', (e) => errs.push(e.code))
    await expect(c.identify({ userId: 'u42', userHash: 'bad' })).rejects.toMatchObject({ code: 'bad_identity', status: 401 })
    await tick(60000)
    expect(errs).toEqual(['bad_identity'])
    expect(net.sockets).toHaveLength(0)
    expect(net.requests).toHaveLength(1)
  })

  it('keeps trying while the hub cannot be reached, with growing jittered delays', async () => {
    const net = new FakeNet()
    const ok = net.route
    let offline = true
    net.route = (m, p, b) => (offline ? 'offline' : ok(m, p, b))
    const { c } = client(net)
    const p = c.identify({ jwt: 'x.eyJzdWIiOiJ1NDIifQ.y' })
    await tick(0)
    expect(net.requests).toHaveLength(1)
    await tick(250) // first delay: 500 ms × (0.5 + 0.5/2) = 375
    expect(net.requests).toHaveLength(1)
    await tick(200)
    expect(net.requests).toHaveLength(2)
    await tick(750) // second: 750
    expect(net.requests).toHaveLength(3)
    offline = false
    await tick(30000)
    await expect(p).resolves.toMatchObject({ token: 'tok1' })
    expect(last(net.posts('/identify')).body).toMatchObject({ jwt: 'x.eyJzdWIiOiJ1NDIifQ.y' })
  })

  it('coming back online (resume) retries identify at once; the socket follows', async () => {
    const net = new FakeNet()
    const ok = net.route
    let offline = true
    net.route = (m, p, b) => (offline ? 'offline' : ok(m, p, b))
    let resume = () => {}
    net.lifecycle = (fn) => (resume = fn)
    const { c } = client(net)
    let done = false
    c.identify({ userId: 'u1', userHash: 'h' }).then(() => (done = true))
    for (let i = 0; i < 5; i++) await tick(20000) // the waits grow to 30 s
    const n = net.requests.length
    offline = false
    resume()
    await tick(0)
    expect(net.requests.length).toBe(n + 1)
    expect(done).toBe(true)
    expect(net.sockets).toHaveLength(1)
  })

  it('close() while identify waits to retry ends it (rejects), and identify again starts anew', async () => {
    const net = new FakeNet()
    const ok = net.route
    let offline = true
    net.route = (m, p, b) => (offline ? 'offline' : ok(m, p, b))
    const { c } = client(net)
    const first = c.identify({ userId: 'u1', userHash: 'h' })
    await tick(0)
    c.close()
    await expect(first).rejects.toMatchObject({ code: 'closed' })
    offline = false
    await expect(c.identify({ userId: 'u1', userHash: 'h' })).resolves.toMatchObject({ token: 'tok1' })
    await tick(60000)
    expect(net.posts('/identify')).toHaveLength(2)
  })

  it('anonymous users keep one device id across restarts', async () => {
    const st = memoryStorage()
    const a = client(new FakeNet(), st)
    await a.c.identify({ anonymous: true })
    const b = client(new FakeNet(), st)
    await b.c.identify({ anonymous: true })
    const d1 = a.net.posts('/identify')[0].body.device_id
    expect(d1).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.net.posts('/identify')[0].body.device_id).toBe(d1)
  })

  it('reads the user of a JWT (base64url, UTF-8) to name its outbox', () => {
    const payload = b64url(JSON.stringify({ sub: '用户-7', exp: 1 }))
    expect(jwtSub('h.' + payload + '.s')).toBe('用户-7')
    expect(jwtSub('garbage')).toBe('')
  })
})

describe('send and the outbox', () => {
  it('sends over the socket with a uuid client id and resolves on ack; storage is emptied', async () => {
    const { c, net, storage } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    const p = c.send('你好')
    await tick()
    const f = net.ws.frames('message')[0]
    expect(f).toMatchObject({ type: 'message', text: '你好' })
    expect(f.client_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(JSON.parse(storage.getItem('kefu:ak_1:u:u1:box') as string)).toHaveLength(1)
    net.ws.recv({ type: 'ack', client_id: f.client_id })
    await expect(p).resolves.toEqual({ client_msg_id: f.client_id })
    expect(JSON.parse(storage.getItem('kefu:ak_1:u:u1:box') as string)).toEqual([])
  })

  it('resends with the same client id until acknowledged', async () => {
    const { c, net } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    c.send('one')
    await tick()
    await tick(timing.ackWait + timing.tick)
    const fs = net.ws.frames('message')
    expect(fs.length).toBe(2)
    expect(fs[1].client_id).toBe(fs[0].client_id)
    net.ws.recv({ type: 'ack', client_id: fs[0].client_id })
    await tick(timing.ackWait * 3)
    expect(net.ws.frames('message').length).toBe(2)
  })

  it('an unavailable hub gets the message again; a refusal rejects it and drops it', async () => {
    const { c, net } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    const ok = c.send('a')
    const no = c.send('b')
    await tick()
    const [a, b] = net.ws.frames('message')
    net.ws.recv({ type: 'error', client_id: a.client_id, error: { code: 'unavailable' } })
    net.ws.recv({ type: 'error', client_id: b.client_id, error: { code: 'too_many_conversations', message: 'limit' } })
    await expect(no).rejects.toBeInstanceOf(KefuError)
    await tick(timing.tick)
    expect(net.ws.frames('message').filter((f) => f.client_id === a.client_id)).toHaveLength(2)
    expect(net.ws.frames('message').filter((f) => f.client_id === b.client_id)).toHaveLength(1)
    expect(c.pending().map((o) => o.text)).toEqual(['a'])
    net.ws.recv({ type: 'ack', client_id: a.client_id })
    await expect(ok).resolves.toBeTruthy()
  })

  it('sent while offline, kept in storage, delivered after a restart', async () => {
    const st = memoryStorage()
    const off = new FakeNet()
    off.route = () => 'offline'
    const first = client(off, st)
    first.c.identify({ userId: 'u1', userHash: 'h' }).catch(() => {}) // rejected by close()
    first.c.send('写在地铁里')
    await tick()
    first.c.close()
    expect(first.c.pending()).toHaveLength(1)

    const { c, net } = client(new FakeNet(), st)
    net.route = (m, p) => (p === '/identify' ? { status: 200, body: { token: 't2', contact_id: 'ct' } } : 'offline')
    const id = c.pending()
    expect(id).toHaveLength(0) // nothing loaded before identify names the user
    await c.identify({ userId: 'u1', userHash: 'h' })
    const [o] = c.pending()
    expect(o.text).toBe('写在地铁里')
    await welcome(net)
    expect(net.ws.frames('message')).toEqual([{ type: 'message', client_id: o.client_msg_id, text: '写在地铁里' }])
    const d = c.delivered(o.client_msg_id)
    net.ws.recv({ type: 'ack', client_id: o.client_msg_id })
    await expect(d).resolves.toEqual({ client_msg_id: o.client_msg_id })
    expect(st.getItem('kefu:ak_1:u:u1:box')).toBe('[]')
  })

  it('another user on the same device does not get the first user’s outbox', async () => {
    const st = memoryStorage()
    const off = new FakeNet()
    off.route = () => 'offline'
    const a = client(off, st)
    a.c.identify({ userId: 'u1', userHash: 'h' }).catch(() => {}) // rejected by close()
    a.c.send('mine')
    await tick()
    a.c.close()
    const b = client(new FakeNet(), st)
    await b.c.identify({ userId: 'u2', userHash: 'h' })
    expect(b.c.pending()).toEqual([])
  })

  it('goes over HTTP, in order, while the socket is not up', async () => {
    const { c, net } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    const p1 = c.send({ text: 'one', clientMsgId: 'my-id-1' })
    const p2 = c.send({ text: 'two', attachments: [{ id: 'at_1', url: '/f', name: 'a.png', type: 'image/png', size: 3 }, 'at_2'] })
    await Promise.all([p1, p2])
    const bodies = net.posts('/messages').map((r) => r.body)
    expect(bodies.map((b) => b.text)).toEqual(['one', 'two'])
    expect(bodies[0].client_msg_id).toBe('my-id-1')
    expect(bodies[1].attachments).toEqual([{ id: 'at_1' }, { id: 'at_2' }])
    expect(net.posts('/messages')[0].headers.Authorization).toBe('Bearer tok1')
  })

  it('a message echoed back with its client id counts as delivered', async () => {
    const { c, net } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    const p = c.send('hi')
    await tick()
    const id = net.ws.frames('message')[0].client_id
    net.ws.recv({ type: 'message', message: msg(1, { client_id: id, direction: 'in', sender_type: 'contact' }) })
    await expect(p).resolves.toEqual({ client_msg_id: id })
  })
})

describe('receive: order, duplicates, gaps, resume', () => {
  it('emits each message once, in seq order, asking for what a gap is missing', async () => {
    const { c, net } = client()
    const got = collect(c)
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net, { id: 'c1', status: 'open', last_seq: 1 }, [msg(1)])
    net.ws.recv({ type: 'message', message: msg(1) })
    net.ws.recv({ type: 'message', message: msg(3) })
    net.ws.recv({ type: 'message', message: msg(4) })
    expect(got.map((m) => m.seq)).toEqual([1])
    expect(net.ws.frames('sync')).toEqual([{ type: 'sync', conversation_id: 'c1', after_seq: 1 }])
    net.ws.recv({ type: 'message', message: msg(2) })
    net.ws.recv({ type: 'message', message: msg(3) })
    net.ws.recv({ type: 'message', message: msg(4) })
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4])
  })

  it('reconnects after a drop and resumes from the last seq shown; nothing is doubled', async () => {
    const { c, net } = client()
    const got = collect(c)
    const states: string[] = []
    c.on('connection', (e) => states.push(e.state))
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net, { id: 'c1', status: 'open', last_seq: 2 }, [msg(1), msg(2)])
    net.ws.drop()
    expect(states.slice(-1)).toEqual(['closed'])
    await tick(400)
    expect(net.sockets).toHaveLength(2)
    net.ws.open()
    expect(net.ws.sent[0]).toMatchObject({ type: 'hello', token: 'tok1', conversation: { id: 'c1', after_seq: 2 } })
    // the hub replays a little too much
    net.ws.recv({ type: 'welcome', conversation: { id: 'c1', status: 'open', last_seq: 3 }, messages: [msg(2), msg(3)] })
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3])
    expect(states.slice(-1)).toEqual(['open'])
  })

  it('resumes across restarts: the last seq is kept in storage', async () => {
    const st = memoryStorage()
    const a = client(new FakeNet(), st)
    await a.c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(a.net, { id: 'c1', status: 'open', last_seq: 5 }, [msg(4), msg(5)])
    a.c.close()
    const b = client(new FakeNet(), st)
    await b.c.identify({ userId: 'u1', userHash: 'h' })
    await tick()
    b.net.ws.open()
    expect(b.net.ws.sent[0].conversation).toEqual({ id: 'c1', after_seq: 5 })
  })

  it('a pong ahead of what is shown triggers a sync; a silent socket is replaced', async () => {
    const { c, net } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net, { id: 'c1', status: 'open', last_seq: 0 })
    await tick(timing.ping)
    expect(net.ws.frames('ping').length).toBeGreaterThan(0)
    net.ws.recv({ type: 'pong', conversation_id: 'c1', last_seq: 3 })
    expect(net.ws.frames('sync')).toEqual([{ type: 'sync', conversation_id: 'c1', after_seq: 0 }])
    const first = net.ws
    await tick(timing.dead + timing.tick)
    expect(first.closed).toBe(true)
    await tick(1000)
    expect(net.sockets.length).toBe(2)
  })

  it('4401 re-identifies (asking the app again for a JWT); 4429 waits at least 30 s', async () => {
    const { c, net } = client()
    let n = 0
    const src = vi.fn(() => ({ jwt: 'h.' + b64url(JSON.stringify({ sub: 'u9' })) + '.' + ++n }))
    await c.identify(src)
    await welcome(net)
    net.ws.drop(4401)
    await tick(1000)
    expect(src).toHaveBeenCalledTimes(2)
    expect(net.posts('/identify').map((r) => r.body.jwt.slice(-1))).toEqual(['1', '2'])
    expect(net.sockets).toHaveLength(2)
    await welcome(net)
    net.ws.drop(4429)
    await tick(29000)
    expect(net.sockets).toHaveLength(2)
    await tick(17000) // 30 s × (1 + random 0.5)
    expect(net.sockets).toHaveLength(3)
  })

  it('the app coming back to the front reconnects at once', async () => {
    const net = new FakeNet()
    let resume = () => {}
    net.lifecycle = (fn: () => void) => (resume = fn)
    const { c } = client(net)
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    net.ws.drop()
    await tick(400) // 375 ms
    net.ws.drop()
    await tick(800) // 750 ms
    expect(net.sockets.length).toBe(3)
    net.ws.drop() // next try in 1.5 s
    await tick(10)
    resume()
    await tick()
    expect(net.sockets.length).toBe(4)
  })

  it('forwards typing, queue, agent, closed, read and conversation events', async () => {
    const { c, net } = client()
    const ev: [string, unknown][] = []
    for (const k of ['typing', 'queue', 'agent', 'closed', 'read', 'status', 'offline', 'rate', 'online'] as const) c.on(k, (e: unknown) => ev.push([k, e]))
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net, null)
    expect(ev.splice(0)).toEqual([['online', { online: false }]])
    net.ws.recv({ type: 'online', online: true })
    net.ws.recv({ type: 'conversation', conversation: { id: 'c2', status: 'open' } })
    net.ws.recv({ type: 'queue', conversation_id: 'c2', position: 3 })
    net.ws.recv({ type: 'agent', conversation_id: 'c2', name: '小王', avatar: '/api/v1/avatars/ag_1?v=7' })
    net.ws.recv({ type: 'typing', typing: true })
    net.ws.recv({ type: 'read', conversation_id: 'c2', seq: 4 })
    net.ws.recv({ type: 'closed', conversation_id: 'c2', rate: true })
    expect(ev).toEqual([
      ['online', { online: true }],
      ['status', { id: 'c2', status: 'open' }],
      ['queue', { conversation_id: 'c2', position: 3 }],
      ['agent', { conversation_id: 'c2', name: '小王', avatar: '/api/v1/avatars/ag_1?v=7' }],
      ['typing', { typing: true }],
      ['read', { conversation_id: 'c2', seq: 4 }],
      ['closed', { conversation_id: 'c2', rate: true }],
    ])
    expect(c.conversation).toEqual({ id: 'c2', status: 'closed', agent: { name: '小王', avatar: '/api/v1/avatars/ag_1?v=7' } })
  })

  it('a transfer made while the socket was down is told once it is back', async () => {
    const { c, net } = client()
    const ev: unknown[] = []
    c.on('agent', (e) => ev.push(e))
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net, { id: 'c1', status: 'open', last_seq: 0, agent: { name: '小王' } })
    expect(ev).toEqual([]) // a first welcome tells nothing new
    net.ws.drop()
    await tick(400)
    await welcome(net, { id: 'c1', status: 'open', last_seq: 0, agent: { name: '小王' } })
    expect(ev).toEqual([]) // the same agent: nothing to tell
    net.ws.drop()
    await tick(800)
    await welcome(net, { id: 'c1', status: 'open', last_seq: 0, agent: { name: '小李', avatar: '/api/v1/avatars/ag_2' } })
    expect(ev).toEqual([{ conversation_id: 'c1', name: '小李', avatar: '/api/v1/avatars/ag_2' }])
    net.ws.drop()
    await tick(1600)
    await welcome(net, { id: 'c1', status: 'queued', last_seq: 0 })
    expect(c.conversation!.agent).toBeNull() // back in the queue: nobody serves it
  })

  it('typing previews are throttled, the last text always goes out', async () => {
    const { c, net } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    for (const t of ['你', '你好', '你好吗']) c.typing(t)
    expect(net.ws.frames('typing').map((f) => f.text)).toEqual(['你'])
    await tick(600)
    c.typing('')
    await tick(600)
    expect(net.ws.frames('typing').map((f) => f.text)).toEqual(['你', '你好吗', ''])
  })

  it('a long paste previews its first 1,000 characters (what the hub keeps), not a frame over the socket limit', async () => {
    const { c, net } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    c.typing('长'.repeat(6000))
    expect(net.ws.frames('typing').map((f) => f.text)).toEqual(['长'.repeat(1000)])
  })
})

describe('REST calls', () => {
  it('calls each route with the token and retries once with a new token after a 401', async () => {
    const net = new FakeNet()
    let tok = 0
    net.route = (m, p) => {
      if (p === '/identify') return { status: 200, body: { token: 't' + ++tok, contact_id: 'ct' } }
      if (p === '/conversations' && m === 'GET') return { status: 200, body: { conversations: [{ id: 'c1', status: 'open' }] } }
      if (p === '/conversations') return { status: 201, body: { conversation: { id: 'c3', status: 'queued' } } }
      if (p.startsWith('/messages')) return { status: 200, body: { conversation: { id: 'c3' }, messages: [msg(1)] } }
      if (p === '/uploads') return { status: 200, body: { id: 'at_9', url: '/x', name: 'a.png', type: 'image/png', size: 1 } }
      if (p === '/read' && tok === 1) return { status: 401, body: { error: { code: 'unauthorized' } } }
      if (p === '/rating') return { status: 409, body: { error: { code: 'already_rated', message: 'rated' } } }
      return { status: 200, body: {} }
    }
    const { c } = client(net)
    await c.identify({ userId: 'u1', userHash: 'h' })
    expect(await c.conversations()).toEqual([{ id: 'c1', status: 'open' }])
    expect(await c.open()).toEqual({ id: 'c3', status: 'queued' })
    expect(c.conversation).toEqual({ id: 'c3', status: 'queued' })
    expect((await c.messages({ before: 20, limit: 10 })).messages).toHaveLength(1)
    expect(last(net.requests).path).toBe('/messages?before=20&limit=10')
    expect((await c.upload('wxfile://tmp')).id).toBe('at_9')
    await c.markRead(7)
    expect(net.posts('/read').map((r) => [r.headers.Authorization, r.body])).toEqual([
      ['Bearer t1', { conversation_id: 'c3', seq: 7 }],
      ['Bearer t2', { conversation_id: 'c3', seq: 7 }],
    ])
    await expect(c.rate(5, '很好')).rejects.toMatchObject({ code: 'already_rated', status: 409 })
    await c.leaveMessage({ name: '韩梅梅', phone: '138', message: '请回电' })
    expect(net.posts('/leave_message')[0].body).toMatchObject({ fields: { message: '请回电' } })
    expect(net.posts('/leave_message')[0].body.client_msg_id).toMatch(/-/)
    await c.registerPush({ platform: 'android', token: 'fcm-1' })
    await c.unregisterPush()
    expect(net.requests.filter((r) => r.path === '/push_token').map((r) => [r.method, r.body])).toEqual([
      ['PUT', { platform: 'android', token: 'fcm-1' }],
      ['DELETE', { token: 'fcm-1' }],
    ])
  })

  it('reads the rating scale and rates with the reasons ticked', async () => {
    const net = new FakeNet()
    const scale = {
      enabled: true,
      levels: [
        { score: 3, label: '满意', reasons: [] },
        { score: 1, label: '不满意', reasons: ['回复慢', '没解决'] },
      ],
    }
    net.route = (m, p, b) => {
      if (p === '/identify') return { status: 200, body: { token: 't', contact_id: 'ct' } }
      if (p === '/rating' && m === 'GET') return { status: 200, body: scale }
      if (p === '/rating' && b.reasons.includes('太贵'))
        return { status: 400, body: { error: { code: 'rating_reason', message: 'not a reason of this level' } } }
      return { status: 204, body: null }
    }
    const { c } = client(net)
    await c.identify({ userId: 'u1', userHash: 'h' })
    const got = await c.ratingScale()
    expect(got.levels[1].reasons).toEqual(['回复慢', '没解决'])
    await c.rate(1, { comment: '等太久', reasons: ['回复慢'], conversationId: 'c9' })
    await expect(c.rate(1, { reasons: ['太贵'], conversationId: 'c9' })).rejects.toMatchObject({ code: 'rating_reason', status: 400 })
    await c.rate(3, '好', 'c8')
    expect(net.posts('/rating').map((r) => r.body)).toEqual([
      { conversation_id: 'c9', score: 1, comment: '等太久', reasons: ['回复慢'] },
      { conversation_id: 'c9', score: 1, comment: undefined, reasons: ['太贵'] },
      { conversation_id: 'c8', score: 3, comment: '好', reasons: [] },
    ])
  })

  it('refuses to work before identify', async () => {
    const { c } = client()
    await expect(c.send('x')).rejects.toMatchObject({ code: 'not_identified' })
    await expect(c.conversations()).rejects.toMatchObject({ code: 'not_identified' })
  })
})

describe('a conversation new to this device', () => {
  it('starts at the messages the welcome shows, not at seq 1 of a long history', async () => {
    const { c, net } = client()
    const got = collect(c)
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net, { id: 'c1', status: 'open', last_seq: 1000 }, [msg(999), msg(1000)])
    expect(got.map((m) => m.seq)).toEqual([999, 1000])
    expect(net.ws.frames('sync')).toEqual([])
    net.ws.recv({ type: 'message', message: msg(1001) })
    expect(got.map((m) => m.seq)).toEqual([999, 1000, 1001])
  })
})

describe('a connection that never answers', () => {
  it('is given up after the welcome wait and tried again', async () => {
    const { c, net } = client()
    const states: string[] = []
    c.on('connection', (e) => states.push(e.state))
    await c.identify({ userId: 'u1', userHash: 'h' })
    await tick()
    expect(net.sockets).toHaveLength(1) // opened, but no welcome ever comes
    await tick(timing.welcome - 100)
    expect(net.sockets).toHaveLength(1)
    await tick(100)
    expect(net.sockets[0].closed).toBe(true)
    expect(states).toEqual(['connecting', 'closed'])
    await tick(400)
    expect(net.sockets).toHaveLength(2)
  })
})

describe('browserTransport', () => {
  it('a socket that fails with an error alone (Node) is reported closed, once', async () => {
    const { browserTransport } = await import('../src/index')
    class FakeWS {
      static last: FakeWS
      onopen?: () => void
      onmessage?: (e: { data: string }) => void
      onerror?: () => void
      onclose?: (e: { code: number }) => void
      constructor(public url: string) {
        FakeWS.last = this
      }
      send() {}
      close() {}
    }
    const closes: number[] = []
    browserTransport({ WebSocket: FakeWS as any }).connect('ws://h/ws', { open() {}, message() {}, close: (c) => closes.push(c) })
    FakeWS.last.onerror!()
    FakeWS.last.onclose!({ code: 1006 })
    expect(closes).toEqual([1006])
  })

  it('sends JSON with fetch and reads JSON answers, errors included', async () => {
    const { browserTransport } = await import('../src/index')
    const calls: [string, RequestInit][] = []
    const fetch = (async (u: string, i: RequestInit) => {
      calls.push([u, i])
      return new Response('{"error":{"code":"rate_limited"}}', { status: 429 })
    }) as unknown as typeof globalThis.fetch
    const r = await browserTransport({ fetch }).request('POST', 'http://h/x', { Authorization: 'Bearer t' }, { a: 1 })
    expect(r).toEqual({ status: 429, body: { error: { code: 'rate_limited' } } })
    expect(calls[0][1]).toMatchObject({ method: 'POST', body: '{"a":1}', headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' } })
  })
})

describe('background and foreground', () => {
  it('tells the hub when the app leaves and comes back, also on a socket opened while in the background', async () => {
    const net = new FakeNet()
    let resume = () => {}
    let pause = () => {}
    net.lifecycle = (r, p) => {
      resume = r
      pause = p
    }
    const { c } = client(net)
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    pause()
    expect(net.ws.sent.map((f) => f.type)).toEqual(['hello', 'background'])
    net.ws.drop() // the system closed it in the background
    await tick(400)
    await welcome(net) // reconnected while still in the background
    expect(net.ws.sent.map((f) => f.type)).toEqual(['hello', 'background'])
    resume()
    expect(net.ws.sent.map((f) => f.type)).toEqual(['hello', 'background', 'foreground', 'ping'])
  })

  it('frames other than hello wait for the welcome', async () => {
    const { c, net } = client()
    await c.identify({ userId: 'u1', userHash: 'h' })
    await tick()
    c.typing('x')
    net.ws.open()
    expect(net.ws.sent.map((f) => f.type)).toEqual(['hello'])
  })
})

describe('"helpful?" on robot answers', () => {
  const robot = (seq: number) => msg(seq, { sender_type: 'robot', sender_name: '', type: 'answer', text: '全场满99元包邮。' })

  it('marks the robot answers rateable, from the welcome, the socket and history; nothing else', async () => {
    const net = new FakeNet()
    const ok = net.route
    net.route = (m, p, b) => (p.startsWith('/messages?') ? { status: 200, body: { messages: [msg(1), robot(2)] } } : ok(m, p, b))
    const { c } = client(net)
    const got = collect(c)
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net, { id: 'c1', status: 'open', last_seq: 1 }, [robot(1)])
    net.ws.recv({ type: 'message', message: msg(2) })
    net.ws.recv({ type: 'message', message: robot(3) })
    net.ws.recv({ type: 'message', message: msg(4, { sender_type: 'robot', type: 'text', text: '您好，我是智能客服' }) })
    expect(got.map((m) => [m.seq, !!m.rateable])).toEqual([
      [1, true],
      [2, false],
      [3, true],
      [4, false],
    ])
    const h = await c.messages({ before: 3 })
    expect(h.messages.map((m) => !!m.rateable)).toEqual([false, true])
  })

  it('rateAnswer sends the rating once and marks the message; rated already rejects with conflict', async () => {
    const net = new FakeNet()
    const ok = net.route
    const rated = new Set<string>()
    net.route = (m, p, b) => {
      if (p !== '/feedback') return ok(m, p, b)
      if (rated.has(b.message_id)) return { status: 409, body: { error: { code: 'conflict', message: 'already rated' } } }
      if (b.message_id === 'theirs') return { status: 404, body: { error: { code: 'not_found', message: 'no such robot answer' } } }
      rated.add(b.message_id)
      return { status: 204, body: null }
    }
    const { c } = client(net)
    const got = collect(c)
    await c.identify({ userId: 'u1', userHash: 'h' })
    await welcome(net)
    net.ws.recv({ type: 'message', message: robot(1) })
    const a = got[0]
    await c.rateAnswer(a, false)
    expect(net.posts('/feedback').map((r) => [r.headers.Authorization, r.body])).toEqual([
      ['Bearer tok1', { message_id: 'm1', helpful: false }],
    ])
    expect([a.rateable, a.helpful]).toEqual([false, false])

    const again = robot(1) // the same answer shown again (another device, history)
    again.rateable = true
    await expect(c.rateAnswer(again, true)).rejects.toMatchObject({ code: 'conflict', status: 409 })
    expect([again.rateable, again.helpful]).toEqual([false, undefined])

    const theirs = robot(9)
    theirs.id = 'theirs'
    theirs.rateable = true
    await expect(c.rateAnswer(theirs, true)).rejects.toMatchObject({ code: 'not_found', status: 404 })
    expect(theirs.rateable).toBe(true)
    await c.rateAnswer('m7', true) // by id
    expect(last(net.posts('/feedback')).body).toEqual({ message_id: 'm7', helpful: true })
  })

  it('refuses before identify', async () => {
    const { c } = client()
    await expect(c.rateAnswer('m1', true)).rejects.toMatchObject({ code: 'not_identified' })
  })
})
