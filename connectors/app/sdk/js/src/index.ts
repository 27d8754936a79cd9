// @kefu/app-sdk — in-app chat with a Kefu hub from a browser, React Native or
// a WeChat mini-program:
//
//	const kefu = Kefu.init({ appKey, baseURL })
//	kefu.on('message', (m) => show(m))
//	await kefu.identify({ userId, userHash })   // userHash from your server
//	await kefu.send('你好')
import { browserTransport, webStorage } from './browser'
import { Client } from './client'
import type { Options } from './types'
import { wxStorage, wxTransport } from './wx'

declare const wx: any

/** Creates a client; the platform (mini-program or not) is detected unless given. */
export function init(o: Options): Client {
  const mp = typeof wx !== 'undefined' && wx && wx.connectSocket
  return new Client({
    ...o,
    transport: o.transport || (mp ? wxTransport(wx) : browserTransport()),
    storage: o.storage || (mp ? wxStorage(wx) : webStorage()),
  })
}

export { Client, timing } from './client'
export type { SendInput } from './client'
export { browserTransport, memoryStorage, webStorage } from './browser'
export type { BrowserTransportOptions } from './browser'
export { wxTransport, wxStorage } from './wx'
export { KefuError } from './types'
export type * from './types'
export { uuid } from './util'
export { richNodes, renderRich } from './rich'
