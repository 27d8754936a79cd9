// The agent websocket with resume (README "The agent websocket and resume"):
// authenticate in the first frame, remember the highest event id handled,
// reconnect with it after any drop. Events at or below that id are ignored,
// so a replay never shows anything twice.
import { getToken } from './api'

export interface HubEvent {
  id: number
  type: string
  conversation_id?: string
  data: any
  created_at: string
}

export type StreamState = 'connecting' | 'open' | 'closed'

export class EventStream {
  lastEventId = -1
  private ws: WebSocket | null = null
  private stopped = false
  private retry = 0
  private timer: number | undefined

  constructor(
    private onEvent: (e: HubEvent) => void,
    private onState: (s: StreamState) => void,
    private onUnauthorized: () => void,
  ) {}

  start(lastEventId?: number) {
    if (lastEventId !== undefined) this.lastEventId = lastEventId
    this.stopped = false
    this.connect()
  }

  stop() {
    this.stopped = true
    clearTimeout(this.timer)
    this.ws?.close()
    this.ws = null
  }

  // handle processes one server frame: `ready` starts (or resumes) the
  // stream; an event at or below the last handled id is a replay of
  // something already shown and is dropped. Ephemeral events (id 0:
  // typing, visitor updates) are always passed on.
  handle(raw: string) {
    let f: any
    try {
      f = JSON.parse(raw)
    } catch {
      return
    }
    if (f.type === 'ready') {
      this.retry = 0
      if (this.lastEventId < 0) this.lastEventId = f.last_event_id
      this.onState('open')
      return
    }
    if (f.type === 'pong' || f.type === 'ack' || f.type === 'error') return
    if (typeof f.id !== 'number') return
    if (f.id > 0) {
      if (f.id <= this.lastEventId) return // already handled
      this.lastEventId = f.id
    }
    this.onEvent(f as HubEvent)
  }

  // authFrame is the first frame on a new socket: resume after the last
  // event handled, or start from now on the first connection.
  authFrame(): string {
    const auth: Record<string, unknown> = { type: 'auth', token: getToken() }
    if (this.lastEventId >= 0) auth.last_event_id = this.lastEventId
    return JSON.stringify(auth)
  }

  private connect() {
    if (this.stopped) return
    this.onState('connecting')
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/ws`)
    this.ws = ws
    ws.onopen = () => ws.send(this.authFrame())
    ws.onmessage = (m) => this.handle(String(m.data))
    ws.onclose = (ev) => {
      if (this.ws !== ws) return
      this.ws = null
      this.onState('closed')
      if (ev.code === 4401) {
        this.onUnauthorized()
        return
      }
      if (this.stopped) return
      const delay = Math.min(10000, 500 * 2 ** this.retry++) * (0.75 + Math.random() / 2)
      this.timer = window.setTimeout(() => this.connect(), delay)
    }
  }
}
