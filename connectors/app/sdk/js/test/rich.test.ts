import { describe, expect, it } from 'vitest'
import { renderRich, richNodes } from '../src/index'
import type { RichNode } from '../src/types'

// What the hub sends for an answer with bold, a list, links and images,
// with the hostile pieces a tampered hub or proxy could add.
const answer: unknown[] = [
  { t: 'p', c: [{ t: 'b', c: [{ t: 'text', text: '满99元包邮' }] }, { t: 'text', text: ' <img src=x onerror=alert(1)>' }] },
  { t: 'ul', c: [{ t: 'li', c: [{ t: 'text', text: '江浙沪次日达' }] }] },
  { t: 'a', href: 'https://shop.example.com/ship', c: [{ t: 'text', text: '运费说明' }] },
  { t: 'a', href: 'javascript:alert(1)', c: [{ t: 'text', text: '点我' }] },
  { t: 'a', href: '//evil.example.com/x', c: [{ t: 'text', text: '协议相对' }] },
  { t: 'img', src: '/app/v1/ak_1/files/fi_1?sig=ab', alt: '图' },
  { t: 'img', src: 'http://cdn.example.com/plain.png' },
  { t: 'img', src: 'data:image/png;base64,AAAA' },
  { t: 'script', c: [{ t: 'text', text: 'alert(2)' }] },
  { t: 'constructor', c: [] },
  'not a node',
]

describe('richNodes', () => {
  it('keeps the formatting, text as text, https links, images from https or the hub; drops the rest', () => {
    const ns = richNodes(answer, 'https://hub.test/')
    expect(ns).toEqual<RichNode[]>([
      { t: 'p', c: [{ t: 'b', c: [{ t: 'text', text: '满99元包邮' }] }, { t: 'text', text: ' <img src=x onerror=alert(1)>' }] },
      { t: 'ul', c: [{ t: 'li', c: [{ t: 'text', text: '江浙沪次日达' }] }] },
      { t: 'a', href: 'https://shop.example.com/ship', c: [{ t: 'text', text: '运费说明' }] },
      { t: 'text', text: '点我' },
      { t: 'text', text: '协议相对' },
      { t: 'img', src: 'https://hub.test/app/v1/ak_1/files/fi_1?sig=ab', alt: '图' },
    ])
  })
  it('has nothing for a message without a rich answer, and stops at 20 levels', () => {
    expect(richNodes(undefined, 'https://hub.test')).toEqual([])
    let deep: RichNode = { t: 'text', text: '底' }
    for (let i = 0; i < 40; i++) deep = { t: 'b', c: [deep] }
    expect(JSON.stringify(richNodes([deep], 'https://hub.test'))).not.toContain('底')
  })
})

// A document that records what renderRich asks of it: the SDK builds with
// createElement / createTextNode / setAttribute only.
function recorder() {
  type El = { tag: string; attrs: Record<string, string>; kids: El[]; text?: string; appendChild(k: El): El; setAttribute(k: string, v: string): void }
  const el = (tag: string, text?: string): El => ({
    tag, text, attrs: {}, kids: [],
    appendChild(k) { this.kids.push(k); return k },
    setAttribute(k, v) { this.attrs[k] = v },
  })
  const doc = { createElement: (t: string) => el(t), createTextNode: (s: string) => el('#text', s), createDocumentFragment: () => el('#fragment') }
  const show = (e: El): string =>
    e.tag === '#text' ? e.text! : `<${e.tag}${Object.entries(e.attrs).map(([k, v]) => ` ${k}="${v}"`).join('')}>${e.kids.map(show).join('')}</${e.tag}>`
  return { doc: doc as unknown as Document, show: (f: unknown) => (f as El).kids.map(show).join('') }
}

describe('renderRich', () => {
  it('builds elements of the fixed set, links in a new tab with noopener, text never parsed', () => {
    const r = recorder()
    const got = r.show(renderRich(answer, 'https://hub.test', r.doc))
    expect(got).toBe(
      '<p><strong>满99元包邮</strong> <img src=x onerror=alert(1)></p><ul><li>江浙沪次日达</li></ul>' +
        '<a href="https://shop.example.com/ship" target="_blank" rel="noopener noreferrer">运费说明</a>点我协议相对' +
        '<img src="https://hub.test/app/v1/ak_1/files/fi_1?sig=ab" alt="图"></img>',
    )
  })
})
