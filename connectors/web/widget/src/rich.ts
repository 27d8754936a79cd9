// A robot's rich answer (bold, lists, links, images) built with DOM calls
// from the hub's node structure (connectors/web/doc.go): elements of a
// fixed set, text through text nodes, links http(s) only (new tab,
// noopener), images from https or the hub. Nothing here parses markup.
import type { RichNode } from './types'
import { safeURL } from './util'

const TAGS = new Map<string, keyof HTMLElementTagNameMap>([
  ['p', 'p'], ['br', 'br'], ['b', 'strong'], ['i', 'em'], ['u', 'u'], ['s', 's'], ['ul', 'ul'], ['ol', 'ol'],
  ['li', 'li'], ['quote', 'blockquote'], ['h', 'h4'], ['pre', 'pre'], ['code', 'code'],
])

// richURL is u when it is http(s) (img: https, or the hub's own).
function richURL(u: unknown, hub: string, img: boolean): string {
  const x = safeURL(typeof u === 'string' ? u : '', hub)
  if (!/^https?:/.test(x)) return ''
  return !img || x.startsWith('https:') || new URL(x).origin === new URL(hub, location.href).origin ? x : ''
}

// rich builds the nodes (at most 20 deep) into a fragment; loaded runs
// when an image has loaded.
export function rich(ns: unknown, hub: string, loaded: () => void, depth = 0): DocumentFragment {
  const f = document.createDocumentFragment()
  if (!Array.isArray(ns) || depth > 20) return f
  for (const n of ns as RichNode[]) {
    if (!n || typeof n !== 'object') continue
    if (n.t === 'text') {
      f.appendChild(document.createTextNode(String(n.text ?? '')))
    } else if (n.t === 'a') {
      const u = richURL(n.href, hub, false)
      const a = u ? document.createElement('a') : f
      if (a instanceof HTMLAnchorElement) {
        a.href = u
        a.target = '_blank'
        a.rel = 'noopener noreferrer'
        f.appendChild(a)
      }
      a.appendChild(rich(n.c, hub, loaded, depth + 1))
    } else if (n.t === 'img') {
      const u = richURL(n.src, hub, true)
      if (!u) continue
      const img = document.createElement('img')
      img.alt = String(n.alt ?? '')
      img.src = u
      img.onload = loaded
      f.appendChild(img)
    } else {
      const tag = TAGS.get(String(n.t))
      const e = tag ? document.createElement(tag) : f // unknown: its words alone
      if (e !== f) f.appendChild(e)
      e.appendChild(rich(n.c, hub, loaded, depth + 1))
    }
  }
  return f
}

// richImages are the sources of the nodes' images (the message's image
// attachments repeat them for text-only clients).
export function richImages(ns: unknown, hub: string, out: string[] = []): string[] {
  if (!Array.isArray(ns)) return out
  for (const n of ns as RichNode[]) {
    if (n && n.t === 'img') out.push(richURL(n.src, hub, true))
    else if (n) richImages(n.c, hub, out)
  }
  return out
}
