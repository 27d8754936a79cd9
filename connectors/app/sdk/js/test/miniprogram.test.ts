// The mini-program example (connectors/app/example/miniprogram) run on this
// SDK with a fake `wx`, App, Page and getApp: the page a developer copies
// must identify through their server, show history, send, and show replies.
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import * as Kefu from '../src/index'
import appSrc from '../../../example/miniprogram/app.js?raw'
import pageSrc from '../../../example/miniprogram/pages/chat/chat.js?raw'

type Row = { key: string; direction: string; text: string; pending: boolean; images: string[]; sender_name: string }

function run(src: string, env: Record<string, unknown>) {
  new Function(...Object.keys(env), src)(...Object.values(env))
}

beforeEach(() => vi.useFakeTimers())
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

it('the example chat page: identify via your server, history, send, echo, reply, image', async () => {
  const reqs: any[] = []
  const tasks: any[] = []
  const wx = {
    login: (o: any) => o.success({ code: 'js-code-1' }),
    request: (o: any) => {
      reqs.push(o)
      const ok = (data: unknown, statusCode = 200) => o.success({ statusCode, data: JSON.stringify(data) })
      if (o.url === 'https://api.example.com/kefu/identity') return o.success({ statusCode: 200, data: { userId: 'u-9', userHash: 'ff00' } })
      if (o.url.endsWith('/identify')) return ok({ token: 'tk', contact_id: 'ct' })
      if (o.url.includes('/messages?'))
        return ok({ conversation: { id: 'c1' }, messages: [{ id: 'm1', conversation_id: 'c1', seq: 1, direction: 'out', sender_type: 'agent', sender_name: '小王', text: '欢迎光临' }] })
      if (o.url.endsWith('/messages')) return ok({}, 202)
      o.fail({ errMsg: 'unexpected ' + o.url })
    },
    uploadFile: (o: any) => o.success({ statusCode: 201, data: JSON.stringify({ id: 'at_1', url: '/app/v1/k/files/at_1?s=x', name: 'a.jpg', type: 'image/jpeg', size: 3 }) }),
    chooseMedia: (o: any) => o.success({ tempFiles: [{ tempFilePath: 'wxfile://tmp/a.jpg' }] }),
    connectSocket: (o: any) => {
      const t: any = { url: o.url, sent: [] as any[], h: {} as Record<string, (e?: any) => void> }
      for (const k of ['Open', 'Message', 'Close', 'Error']) t['on' + k] = (f: any) => (t.h[k] = f)
      t.send = (x: any) => t.sent.push(JSON.parse(x.data))
      t.close = () => {}
      tasks.push(t)
      return t
    },
    onAppShow: () => {},
    showToast: vi.fn(),
    getStorageSync: () => '',
    setStorageSync: () => {},
    removeStorageSync: () => {},
  }
  vi.stubGlobal('wx', wx)
  let app: any
  let def: any
  const env = { wx, require: () => Kefu, App: (a: any) => (app = a), getApp: () => app, Page: (d: any) => (def = d), console }
  run(appSrc, env)
  app.onLaunch()
  await vi.advanceTimersByTimeAsync(0)
  expect(JSON.parse(reqs.find((r) => r.url.endsWith('/identify')).data)).toMatchObject({ user_id: 'u-9', user_hash: 'ff00', device: { platform: 'miniprogram' } })
  const ws = tasks[0]
  expect(ws.url).toBe('wss://kefu.example.com/app/v1/ak_…/ws'.replace('ak_…', encodeURIComponent('ak_…')))
  ws.h.Open()
  ws.h.Message({ data: JSON.stringify({ type: 'welcome', online: true, conversation: { id: 'c1', status: 'open', last_seq: 1 }, messages: [] }) })

  run(pageSrc, env)
  const page = Object.assign(Object.create(def), { data: JSON.parse(JSON.stringify(def.data)) })
  page.setData = (d: Record<string, any>) => {
    for (const [k, v] of Object.entries(d)) {
      const m = /^messages\[(\d+)\]$/.exec(k)
      if (m) page.data.messages[+m[1]] = v
      else page.data[k] = v
    }
  }
  page.onLoad()
  await vi.advanceTimersByTimeAsync(0)
  const rows = () => page.data.messages as Row[]
  expect(rows().map((r) => [r.direction, r.sender_name, r.text])).toEqual([['out', '小王', '欢迎光临']])

  page.onInput({ detail: { value: '在吗' } })
  page.send()
  await vi.advanceTimersByTimeAsync(0)
  expect(rows()[1]).toMatchObject({ direction: 'in', text: '在吗', pending: true })
  const f = ws.sent.find((x: any) => x.type === 'message')
  expect(f.text).toBe('在吗')
  ws.h.Message({ data: JSON.stringify({ type: 'ack', client_id: f.client_id }) })
  ws.h.Message({ data: JSON.stringify({ type: 'message', message: { id: 'm2', conversation_id: 'c1', seq: 2, direction: 'in', sender_type: 'contact', text: '在吗', client_id: f.client_id } }) })
  ws.h.Message({ data: JSON.stringify({ type: 'typing', typing: true }) })
  ws.h.Message({ data: JSON.stringify({ type: 'message', message: { id: 'm3', conversation_id: 'c1', seq: 3, direction: 'out', sender_type: 'agent', sender_name: '小王', text: '在的' } }) })
  expect(rows().map((r) => [r.text, r.pending])).toEqual([
    ['欢迎光临', false],
    ['在吗', false],
    ['在的', false],
  ])
  expect(page.data.notice).toBe('客服正在输入…')

  page.pickImage()
  await vi.advanceTimersByTimeAsync(0)
  const img = ws.sent.filter((x: any) => x.type === 'message')[1]
  expect(img.attachments).toEqual([{ id: 'at_1' }])
  ws.h.Message({ data: JSON.stringify({ type: 'message', message: { id: 'm4', conversation_id: 'c1', seq: 4, direction: 'in', sender_type: 'contact', text: '', client_id: img.client_id, attachments: [{ url: '/app/v1/k/files/at_1?s=x', name: 'a.jpg', type: 'image/jpeg', size: 3 }] } }) })
  expect(rows()[3].images).toEqual(['https://kefu.example.com/app/v1/k/files/at_1?s=x'])
  expect(wx.showToast).not.toHaveBeenCalled()
  page.onUnload()
})
