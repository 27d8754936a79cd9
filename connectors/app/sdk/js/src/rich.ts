// A robot's rich answer (message.rich: bold, lists, links, images) made
// safe to show: richNodes keeps the node kinds of the hub's structure
// (connectors/web/doc.go) with links http(s) only and images from https
// or the hub, as absolute URLs; renderRich builds them with DOM calls in a
// browser (text as text nodes, links in a new tab with noopener). Nothing
// here parses markup. React Native and mini-programs map the nodes to
// their own views.
import type { RichNode } from './types'

const KINDS = ['text', 'p', 'br', 'b', 'i', 'u', 's', 'ul', 'ol', 'li', 'quote', 'h', 'pre', 'code', 'a', 'img']
const TAGS: Record<string, string> = { b: 'strong', i: 'em', quote: 'blockquote', h: 'h4' }

function abs(u: unknown, baseURL: string, img: boolean): string {
  if (typeof u !== 'string') return ''
  const m = /^(https?):\/\/[^/?#\s]+/i.exec(u)
  if (m) return /[\s"'<>\\]/.test(u) || (img && m[1].toLowerCase() !== 'https') ? '' : u
  // the hub's own files: a path on the hub
  return /^\/[A-Za-z0-9_\-./?=&%]*$/.test(u) && !u.startsWith('//') ? baseURL.replace(/\/+$/, '') + u : ''
}

/** The safe nodes of a rich answer, URLs absolute (none when it has none). */
export function richNodes(nodes: unknown, baseURL: string, depth = 0): RichNode[] {
  const out: RichNode[] = []
  if (!Array.isArray(nodes) || depth > 20) return out
  for (const n of nodes) {
    if (!n || typeof n !== 'object' || KINDS.indexOf(n.t) < 0) continue
    if (n.t === 'text') {
      out.push({ t: 'text', text: String(n.text ?? '') })
      continue
    }
    if (n.t === 'img') {
      const src = abs(n.src, baseURL, true)
      if (src) out.push({ t: 'img', src, alt: String(n.alt ?? '') })
      continue
    }
    const c = richNodes(n.c, baseURL, depth + 1)
    if (n.t !== 'a') out.push({ t: n.t, c })
    else {
      const href = abs(n.href, baseURL, false)
      if (href) out.push({ t: 'a', href, c })
      else out.push(...c) // not http(s): its words alone
    }
  }
  return out
}

/** Builds a rich answer's safe nodes as DOM (a browser's document). */
export function renderRich(nodes: unknown, baseURL: string, doc: Document = document): DocumentFragment {
  const build = (ns: RichNode[], into: Node) => {
    for (const n of ns) {
      if (n.t === 'text') {
        into.appendChild(doc.createTextNode(n.text || ''))
        continue
      }
      const e = doc.createElement(TAGS[n.t] || n.t)
      if (n.t === 'a') {
        e.setAttribute('href', n.href || '')
        e.setAttribute('target', '_blank')
        e.setAttribute('rel', 'noopener noreferrer')
      } else if (n.t === 'img') {
        e.setAttribute('src', n.src || '')
        e.setAttribute('alt', n.alt || '')
      }
      build(n.c || [], e)
      into.appendChild(e)
    }
  }
  const f = doc.createDocumentFragment()
  build(richNodes(nodes, baseURL), f)
  return f
}
