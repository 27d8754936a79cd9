// Small DOM and storage helpers shared by both bundles. Text always goes in
// through textContent: nothing here ever parses HTML.

// uuid is a random id (128 bits, hex): client ids of messages and invites.
// crypto.getRandomValues works on http pages too (randomUUID does not).
export function uuid(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (n) => (n + 256).toString(16).slice(1)).join('')
}

// ss reads (v undefined), sets or (v '') clears a sessionStorage key.
export function ss(k: string, v?: string): string {
  try {
    if (v === undefined) return sessionStorage.getItem(k) || ''
    if (v) sessionStorage.setItem(k, v)
    else sessionStorage.removeItem(k)
  } catch {
    /* storage disabled */
  }
  return ''
}

// h creates an element with a class and plain-text content.
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text != null) e.textContent = text
  return e
}

const NS = 'http://www.w3.org/2000/svg'

// icon builds a 24×24 SVG from a constant path.
export function icon(d: string): SVGSVGElement {
  const s = document.createElementNS(NS, 'svg')
  s.setAttribute('viewBox', '0 0 24 24')
  s.setAttribute('aria-hidden', 'true')
  s.setAttribute('width', '22')
  s.setAttribute('height', '22')
  const p = document.createElementNS(NS, 'path')
  p.setAttribute('d', d)
  p.setAttribute('fill', 'currentColor')
  s.appendChild(p)
  return s
}

// css adds a stylesheet to the shadow root (constructable sheets are not
// subject to the host page's style-src CSP; <style> is the fallback).
export function css(root: ShadowRoot, text: string): void {
  try {
    const s = new CSSStyleSheet()
    s.replaceSync(text)
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, s]
  } catch {
    const st = document.createElement('style')
    st.textContent = text
    root.appendChild(st)
  }
}

export function load<T>(k: string, d: T): T {
  try {
    const v = localStorage.getItem(k)
    return v ? (JSON.parse(v) as T) : d
  } catch {
    return d
  }
}

export function save(k: string, v: unknown): void {
  try {
    if (v == null) localStorage.removeItem(k)
    else localStorage.setItem(k, JSON.stringify(v))
  } catch {
    /* storage full or disabled: keep going in memory */
  }
}

// safeURL keeps http(s) and blob URLs only (no javascript: or data: links).
export function safeURL(u: string, base: string): string {
  if (!u) return ''
  try {
    const x = new URL(u, base)
    return /^(https?|blob):$/.test(x.protocol) ? x.href : ''
  } catch {
    return ''
  }
}

export const ICON_CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 6v2h2v-2H7zm4 0v2h2v-2h-2zm4 0v2h2v-2h-2z'
export const ICON_X = 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z'
