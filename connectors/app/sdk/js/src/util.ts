// uuid is a random RFC 4122 version-4 id: the client_msg_id of a message.
// Mini-programs and older React Native have no crypto: Math.random is the
// fallback (the id only has to be unique per user, not secret).
export function uuid(): string {
  const b = new Uint8Array(16)
  const c = typeof crypto !== 'undefined' ? crypto : null
  if (c && c.getRandomValues) c.getRandomValues(b)
  else for (let i = 0; i < 16; i++) b[i] = Math.random() * 256
  b[6] = (b[6] & 15) | 64
  b[8] = (b[8] & 63) | 128
  const h = Array.from(b, (n) => (n + 256).toString(16).slice(1)).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

// jwtSub reads the sub claim of a JWT without checking it (the hub does):
// it names the user's outbox before the hub has answered, e.g. offline.
// Mini-programs have no atob, so base64url is decoded here.
export function jwtSub(jwt: string): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  let n = 0
  let bits = 0
  let s = ''
  for (const ch of jwt.split('.')[1] || '') {
    const v = A.indexOf(ch === '+' ? '-' : ch === '/' ? '_' : ch)
    if (v < 0) continue
    n = ((n << 6) | v) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      s += String.fromCharCode((n >> bits) & 255)
    }
  }
  try {
    return String(JSON.parse(decodeURIComponent(escape(s))).sub || '')
  } catch {
    return ''
  }
}

export function parse<T>(s: string | null | undefined, d: T): T {
  try {
    return (s && JSON.parse(s)) || d
  } catch {
    return d
  }
}
