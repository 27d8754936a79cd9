// The WeChat mini-program transport: wx.request, wx.uploadFile,
// wx.connectSocket. Mini-programs allow https/wss only (insecure: true is for
// the developer tools against a local hub), at most 5 sockets at once, and
// close sockets a few seconds after the app goes to the background: the
// client tells the hub on wx.onAppHide (agent messages are then pushed) and
// reconnects and resumes when wx.onAppShow fires.
import type { HttpResponse, Storage, Transport } from './types'
import { KefuError } from './types'
import { parse } from './util'

export function wxTransport(wx: any, o: { insecure?: boolean } = {}): Transport {
  let open = 0
  const check = (url: string) => {
    if (!o.insecure && !/^(https|wss):/.test(url)) throw new KefuError('insecure', 'mini-programs need an https hub')
  }
  const call = (fn: string, a: any) =>
    new Promise<HttpResponse>((res, rej) => {
      check(a.url)
      wx[fn]({
        ...a,
        success: (r: any) => res({ status: r.statusCode, body: typeof r.data === 'string' ? parse(r.data, null) : r.data }),
        fail: (e: any) => rej(new Error((e && e.errMsg) || fn + ' failed')),
      })
    })
  return {
    device: { platform: 'miniprogram' },
    request: (method, url, header, body) =>
      call('request', {
        url,
        method,
        header: body === undefined ? header : { ...header, 'content-type': 'application/json' },
        data: body === undefined ? undefined : JSON.stringify(body),
        dataType: 'text',
      }),
    // file: a temp file path (wx.chooseMedia → tempFilePath)
    upload: (url, header, file) => call('uploadFile', { url, header, filePath: String(file), name: 'file' }),
    connect(url, h) {
      check(url)
      if (open >= 5) throw new KefuError('too_many_sockets', 'a mini-program may hold 5 sockets')
      const t = wx.connectSocket({ url })
      let up = true
      open++
      const end = (code: number) => {
        if (!up) return
        up = false
        open--
        h.close(code)
      }
      t.onOpen(() => h.open())
      t.onMessage((m: any) => h.message(String(m.data)))
      t.onClose((e: any) => end((e && e.code) || 1006))
      t.onError(() => end(1006))
      return {
        send: (data) => t.send({ data }),
        close: () => {
          end(1000)
          t.close({ code: 1000 })
        },
      }
    },
    lifecycle(resume, pause) {
      if (wx.onAppShow) wx.onAppShow(resume)
      if (wx.onAppHide) wx.onAppHide(pause)
      if (wx.onNetworkStatusChange) wx.onNetworkStatusChange((s: any) => s && s.isConnected && resume())
    },
  }
}

export function wxStorage(wx: any): Storage {
  return {
    getItem: (k) => wx.getStorageSync(k) || null,
    setItem: (k, v) => wx.setStorageSync(k, v),
    removeItem: (k) => wx.removeStorageSync(k),
  }
}
