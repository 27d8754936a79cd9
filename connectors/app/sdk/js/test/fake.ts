// A fake hub behind the Transport seam: records requests and socket frames,
// answers with what each test sets.
import { vi } from 'vitest'
import { Client, memoryStorage } from '../src/index'
import type { HttpResponse, Message, SocketHandlers, Storage, Transport } from '../src/types'

export class FakeSocket {
  sent: any[] = []
  closed = false
  constructor(
    public url: string,
    public h: SocketHandlers,
  ) {}
  send(d: string) {
    if (this.closed) throw new Error('closed')
    this.sent.push(JSON.parse(d))
  }
  close() {
    this.closed = true
  }
  /** the server side: open, push a frame, drop the connection */
  open() {
    this.h.open()
  }
  recv(f: object) {
    this.h.message(JSON.stringify(f))
  }
  drop(code = 1006) {
    this.closed = true
    this.h.close(code)
  }
  frames(type: string) {
    return this.sent.filter((f) => f.type === type)
  }
}

type Route = (method: string, path: string, body: any) => HttpResponse | 'offline'

export class FakeNet implements Transport {
  lifecycle?: (resume: () => void, pause: () => void) => void
  requests: { method: string; path: string; headers: Record<string, string>; body: any }[] = []
  sockets: FakeSocket[] = []
  route: Route = (m, p) => {
    if (p === '/identify') return { status: 200, body: { token: 'tok1', contact_id: 'ct_1' } }
    if (p === '/messages' && m === 'POST') return { status: 202, body: {} }
    return { status: 200, body: {} }
  }
  async request(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<HttpResponse> {
    const path = url.replace(/^.*\/app\/v1\/[^/]+/, '')
    this.requests.push({ method, path, headers, body })
    const r = this.route(method, path, body)
    if (r === 'offline') throw new TypeError('fetch failed')
    return r
  }
  async upload(url: string, headers: Record<string, string>, file: unknown): Promise<HttpResponse> {
    return this.request('POST', url, headers, { file })
  }
  connect(url: string, h: SocketHandlers) {
    const s = new FakeSocket(url, h)
    this.sockets.push(s)
    return s
  }
  get ws() {
    return this.sockets[this.sockets.length - 1]
  }
  posts(path: string) {
    return this.requests.filter((r) => r.method === 'POST' && r.path === path)
  }
}

export function client(net = new FakeNet(), storage: Storage = memoryStorage()) {
  const c = new Client({ appKey: 'ak_1', baseURL: 'http://hub.test/', transport: net, storage })
  return { c, net, storage }
}

export const tick = (ms = 0) => vi.advanceTimersByTimeAsync(ms)

// welcome opens the latest socket and greets it like the hub does.
export async function welcome(net: FakeNet, conv: object | null = { id: 'c1', status: 'open', last_seq: 0 }, messages: Message[] = []) {
  await tick()
  net.ws.open()
  net.ws.recv({ type: 'welcome', conversation: conv, messages })
  await tick()
}

export function msg(seq: number, extra: Partial<Message> = {}): Message {
  return {
    id: 'm' + seq,
    conversation_id: 'c1',
    seq,
    direction: 'out',
    sender_type: 'agent',
    sender_name: '小王',
    type: 'text',
    text: 'reply ' + seq,
    created_at: '2026-12-06T10:00:00Z',
    ...extra,
  }
}

export const last = <T>(a: T[]): T => a[a.length - 1]

export const b64url = (s: string) => btoa(unescape(encodeURIComponent(s))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
