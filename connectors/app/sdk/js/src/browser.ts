// The browser / React Native / Node (20+) transport: fetch, FormData and
// WebSocket, all globals there. Pass WebSocket or fetch to use others.
import type { Device, HttpResponse, Storage, Transport } from './types'
import { parse } from './util'

export interface BrowserTransportOptions {
  fetch?: typeof fetch
  WebSocket?: { new (url: string): WebSocket }
  device?: Device
}

export function browserTransport(o: BrowserTransportOptions = {}): Transport {
  const F = (u: string, i: RequestInit) => (o.fetch || fetch)(u, i)
  const done = async (r: Response): Promise<HttpResponse> => ({ status: r.status, body: parse(await r.text(), null) })
  return {
    device: o.device || { platform: 'web' },
    async request(method, url, headers, body) {
      const h = body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' }
      return done(await F(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) }))
    },
    async upload(url, headers, file, name) {
      const fd = new FormData()
      // a Blob/File, or React Native's {uri, name, type}
      if (name) fd.append('file', file as Blob, name)
      else fd.append('file', file as Blob)
      return done(await F(url, { method: 'POST', headers, body: fd }))
    },
    connect(url, h) {
      const s = new (o.WebSocket || WebSocket)(url)
      let up = true
      const end = (code: number) => up && !(up = false) && h.close(code)
      s.onopen = () => h.open()
      s.onmessage = (e) => h.message(String(e.data))
      // Node's WebSocket may report a failed connection by error alone
      s.onerror = () => end(1006)
      s.onclose = (e) => end(e.code)
      return { send: (d) => s.send(d), close: () => s.close() }
    },
    lifecycle(resume, pause) {
      if (typeof addEventListener !== 'function') return
      addEventListener('online', resume)
      if (typeof document !== 'undefined')
        document.addEventListener('visibilitychange', () => (document.visibilityState === 'visible' ? resume : pause)())
    },
  }
}

/** A Storage in memory (lost on restart): the fallback where nothing persists. */
export function memoryStorage(): Storage {
  const m: Record<string, string> = {}
  return {
    getItem: (k) => (k in m ? m[k] : null),
    setItem: (k, v) => {
      m[k] = v
    },
    removeItem: (k) => {
      delete m[k]
    },
  }
}

/** localStorage when the platform has it (and allows it), else memory. */
export function webStorage(): Storage {
  try {
    const s = localStorage
    s.setItem('kefu:t', '1')
    s.removeItem('kefu:t')
    return s
  } catch {
    return memoryStorage()
  }
}
