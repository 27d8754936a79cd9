// The mini-program transport against a fake `wx`: the calls it makes, wss
// only, at most 5 sockets, resume when the app comes back to the front.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { init, wxStorage, wxTransport } from '../src/index'
import { last } from './fake'

const live = { now: 0, max: 0 }

class Task {
  h: Record<string, (e?: any) => void> = {}
  sent: any[] = []
  closed = false
  constructor(public url: string) {
    live.max = Math.max(live.max, ++live.now)
  }
  end(code?: number) {
    if (!this.closed) live.now--
    this.closed = true
    if (code) this.h.close({ code })
    else this.h.error()
  }
  onOpen(f: () => void) {
    this.h.open = f
  }
  onMessage(f: (e: any) => void) {
    this.h.message = f
  }
  onClose(f: (e: any) => void) {
    this.h.close = f
  }
  onError(f: () => void) {
    this.h.error = f
  }
  send(o: { data: string }) {
    this.sent.push(JSON.parse(o.data))
  }
  close() {
    if (!this.closed) live.now--
    this.closed = true
  }
}

function fakeWx() {
  const store: Record<string, string> = {}
  const tasks: Task[] = []
  const shows: (() => void)[] = []
  const hides: (() => void)[] = []
  const reqs: any[] = []
  const wx = {
    tasks,
    reqs,
    store,
    show: () => shows.forEach((f) => f()),
    hide: () => hides.forEach((f) => f()),
    request: vi.fn((o: any) => {
      reqs.push(o)
      if (o.url.endsWith('/identify')) o.success({ statusCode: 200, data: JSON.stringify({ token: 'wt', contact_id: 'ct' }) })
      else if (o.url.includes('/messages')) o.success({ statusCode: 202, data: '{"client_msg_id":"x"}' })
      else o.fail({ errMsg: 'request:fail' })
    }),
    uploadFile: vi.fn((o: any) => o.success({ statusCode: 200, data: '{"id":"at_1","url":"/u","name":"a.jpg","type":"image/jpeg","size":9}' })),
    connectSocket: vi.fn((o: any) => {
      const t = new Task(o.url)
      tasks.push(t)
      return t
    }),
    onAppShow: (f: () => void) => shows.push(f),
    onAppHide: (f: () => void) => hides.push(f),
    getStorageSync: (k: string) => store[k] || '',
    setStorageSync: (k: string, v: string) => (store[k] = v),
    removeStorageSync: (k: string) => delete store[k],
  }
  return wx
}

beforeEach(() => {
  vi.useFakeTimers()
  live.now = live.max = 0
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('wxTransport', () => {
  it('init() finds wx by itself: wx.request with JSON, wx storage, wss socket; hello first', async () => {
    const wx = fakeWx()
    vi.stubGlobal('wx', wx)
    const c = init({ appKey: 'ak', baseURL: 'https://kefu.example.com' })
    await c.identify({ userId: 'u1', userHash: 'h' })
    expect(wx.reqs[0]).toMatchObject({ url: 'https://kefu.example.com/app/v1/ak/identify', method: 'POST' })
    expect(JSON.parse(wx.reqs[0].data)).toMatchObject({ user_id: 'u1', user_hash: 'h', device: { platform: 'miniprogram' } })
    expect(wx.reqs[0].header['content-type']).toBe('application/json')
    await vi.advanceTimersByTimeAsync(0)
    const t = wx.tasks[0]
    expect(t.url).toBe('wss://kefu.example.com/app/v1/ak/ws')
    t.h.open()
    expect(t.sent[0]).toMatchObject({ type: 'hello', token: 'wt' })
    // the outbox lives in wx storage
    t.h.message({ data: JSON.stringify({ type: 'welcome', conversation: null, messages: [] }) })
    const p = c.send('小程序里')
    await vi.advanceTimersByTimeAsync(0)
    expect(JSON.parse(wx.store['kefu:ak:u:u1:box'])[0].text).toBe('小程序里')
    const id = t.sent[1].client_id
    t.h.message({ data: JSON.stringify({ type: 'ack', client_id: id }) })
    await expect(p).resolves.toEqual({ client_msg_id: id })
    expect(wx.store['kefu:ak:u:u1:box']).toBe('[]')
  })

  it('refuses http (mini-programs need https) unless insecure is set for the developer tools', async () => {
    const wx = fakeWx()
    const t = wxTransport(wx)
    await expect(t.request('GET', 'http://127.0.0.1/x', {})).rejects.toMatchObject({ code: 'insecure' })
    expect(() => t.connect('ws://127.0.0.1/x', { open() {}, message() {}, close() {} })).toThrow(/https/)
    expect(wx.request).not.toHaveBeenCalled()
    await expect(wxTransport(wx, { insecure: true }).request('POST', 'http://127.0.0.1/messages', {}, {})).resolves.toMatchObject({
      status: 202,
      body: { client_msg_id: 'x' },
    })
    await expect(t.request('GET', 'https://h/nothing', {})).rejects.toThrow('request:fail')
  })

  it('holds at most 5 sockets; a closed one frees its place', () => {
    const wx = fakeWx()
    const t = wxTransport(wx)
    const h = { open() {}, message() {}, close: vi.fn() }
    const s = [1, 2, 3, 4, 5].map(() => t.connect('wss://h/ws', h))
    expect(() => t.connect('wss://h/ws', h)).toThrow(/5 sockets/)
    s[0].close()
    expect(wx.tasks[0].closed).toBe(true)
    wx.tasks[1].end(1001) // the system closed one (app in background)
    expect(h.close).toHaveBeenCalledWith(1001)
    t.connect('wss://h/ws', h)
    t.connect('wss://h/ws', h)
    expect(wx.tasks).toHaveLength(7)
    expect(() => t.connect('wss://h/ws', h)).toThrow(/5 sockets/)
  })

  it('uploads a temp file path with wx.uploadFile', async () => {
    const wx = fakeWx()
    const r = await wxTransport(wx).upload('https://h/app/v1/ak/uploads', { Authorization: 'Bearer t' }, 'wxfile://tmp_1.jpg')
    expect(wx.uploadFile.mock.calls[0][0]).toMatchObject({ url: 'https://h/app/v1/ak/uploads', filePath: 'wxfile://tmp_1.jpg', name: 'file', header: { Authorization: 'Bearer t' } })
    expect(r.body.id).toBe('at_1')
  })

  it('the socket dropped in the background comes back on onShow, resuming from the last seq, using one socket', async () => {
    const wx = fakeWx()
    const c = init({ appKey: 'ak', baseURL: 'https://h', transport: wxTransport(wx), storage: wxStorage(wx) })
    const got: number[] = []
    c.on('message', (m) => got.push(m.seq))
    await c.identify({ userId: 'u1', userHash: 'h' })
    await vi.advanceTimersByTimeAsync(0)
    const m = (seq: number) => ({ id: 'm' + seq, conversation_id: 'c1', seq, direction: 'out', sender_type: 'agent', type: 'text', text: 't', created_at: '' })
    wx.tasks[0].h.open()
    wx.tasks[0].h.message({ data: JSON.stringify({ type: 'welcome', conversation: { id: 'c1', status: 'open', last_seq: 2 }, messages: [m(1), m(2)] }) })
    // background: the hub is told (agent messages are pushed now), then the
    // system closes the socket; reconnects fail meanwhile
    wx.hide()
    expect(wx.tasks[0].sent.map((f) => f.type)).toEqual(['hello', 'background'])
    wx.tasks[0].end(1006)
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(20000)
      last(wx.tasks).end()
    }
    expect(wx.tasks.length).toBeGreaterThan(4) // kept trying in the background
    const before = wx.tasks.length
    wx.show()
    await vi.advanceTimersByTimeAsync(0)
    expect(wx.tasks.length).toBe(before + 1)
    const t = last(wx.tasks)
    t.h.open()
    expect(t.sent[0]).toMatchObject({ type: 'hello', conversation: { id: 'c1', after_seq: 2 } })
    t.h.message({ data: JSON.stringify({ type: 'welcome', conversation: { id: 'c1', status: 'open', last_seq: 3 }, messages: [m(3)] }) })
    expect(got).toEqual([1, 2, 3])
    expect(t.sent.map((f) => f.type)).toEqual(['hello']) // in front again: no background frame
    expect(live.max).toBe(1) // never two sockets at once
  })
})
