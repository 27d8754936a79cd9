// The built SDK (dist/kefu.cjs) as an app would use it, driven by the Go
// end-to-end test e2e/app/jssdk_test.go over stdin/stdout, one JSON object a
// line. Node 20 needs --experimental-websocket (its WebSocket global).
//
// env: KEFU_BASE (the hub), KEFU_APP_KEY, KEFU_STORE (a JSON file: the app's
// storage, kept across runs of this script).
// stdin:  {"cmd":"identify","userId","userHash"} | {"cmd":"send","text"} |
//         {"cmd":"upload","name","type","content"} | {"cmd":"call","name","args"} |
//         {"cmd":"pending"} | {"cmd":"messages","after"} | {"cmd":"exit"}
// stdout: {"ev":"ready"} {"ev":"identified","contact_id"} {"ev":"identify_error","code","status"}
//         {"ev":"queued","client_msg_id","text"} {"ev":"acked","client_msg_id"}
//         {"ev":"pending","items":[…]} {"ev":"message","message":{…}} {"ev":"connection","state"}
//         {"ev":"page","messages":[…]} {"ev":"uploaded","upload"} {"ev":"called","name","result"}
//         {"ev":"error","code"}
'use strict'
const fs = require('node:fs')
const readline = require('node:readline')
const Kefu = require('../dist/kefu.cjs')

const file = process.env.KEFU_STORE
const data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}
const storage = {
  getItem: (k) => (k in data ? data[k] : null),
  setItem: (k, v) => {
    data[k] = v
    fs.writeFileSync(file, JSON.stringify(data))
  },
  removeItem: (k) => {
    delete data[k]
    fs.writeFileSync(file, JSON.stringify(data))
  },
}
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')

const kefu = Kefu.init({
  appKey: process.env.KEFU_APP_KEY,
  baseURL: process.env.KEFU_BASE,
  storage,
  transport: Kefu.browserTransport({ device: { platform: 'web', os: 'node ' + process.version, app_version: 'e2e' } }),
})
kefu.on('message', (m) => out({ ev: 'message', message: m }))
kefu.on('connection', (e) => out({ ev: 'connection', state: e.state, code: e.code }))
kefu.on('error', (e) => out({ ev: 'error', code: e.code, client_msg_id: e.client_msg_id }))
for (const k of ['agent', 'typing', 'queue', 'closed', 'read', 'status']) kefu.on(k, (e) => out({ ev: k, data: e }))

const cmds = {
  async identify(c) {
    try {
      const s = await kefu.identify({ userId: c.userId, userHash: c.userHash, name: c.name })
      out({ ev: 'identified', contact_id: s.contact_id })
      // what waited in the outbox from an earlier run
      for (const p of kefu.pending()) kefu.delivered(p.client_msg_id).then((r) => out({ ev: 'acked', ...r }))
    } catch (e) {
      out({ ev: 'identify_error', code: e.code, status: e.status })
    }
  },
  send(c) {
    const id = Kefu.uuid()
    kefu.send({ clientMsgId: id, text: c.text }).then((r) => out({ ev: 'acked', ...r }), (e) => out({ ev: 'send_error', code: e.code }))
    // the outbox is written before the first await in send() returns: by the next tick
    setTimeout(() => out({ ev: 'queued', client_msg_id: id, text: c.text }))
  },
  // a small file from memory (Node's Blob), then a message carrying it
  async upload(c) {
    const up = await kefu.upload(new Blob([c.content], { type: c.type }), c.name)
    out({ ev: 'uploaded', upload: up })
    const r = await kefu.send({ attachments: [up] })
    out({ ev: 'acked', ...r })
  },
  // the other REST calls, each answering {"ev":"called","name","result"} or fail
  async call(c) {
    const result = await kefu[c.name](...(c.args || []))
    out({ ev: 'called', name: c.name, result: result === undefined ? null : result })
  },
  pending() {
    out({ ev: 'pending', items: kefu.pending() })
  },
  async messages(c) {
    const r = await kefu.messages({ after: c.after || 0 })
    out({ ev: 'page', messages: r.messages })
  },
  exit() {
    kefu.close()
    process.exit(0)
  },
}

readline.createInterface({ input: process.stdin }).on('line', (l) => {
  if (!l.trim()) return
  const c = JSON.parse(l)
  Promise.resolve(cmds[c.cmd](c)).catch((e) => out({ ev: 'fail', cmd: c.cmd, error: String(e && e.message) }))
})
out({ ev: 'ready' })
