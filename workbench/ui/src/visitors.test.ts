import { describe, it, expect } from 'vitest'
import { applyVisitors, visitorsIn } from './visitors'
import type { Visitor } from './api'

const v = (id: string, over: Partial<Visitor> = {}): Visitor => ({ id, state: 'browsing', online: true, ...over })

describe('the live visitor list', () => {
  it('reads batched updates and the single-visitor shape', () => {
    expect(visitorsIn({ visitors: [v('a'), v('b')] }).map((x) => x.id)).toEqual(['a', 'b'])
    expect(visitorsIn({ visitors: [v('a')], visitor: v('a') }).map((x) => x.id)).toEqual(['a'])
    expect(visitorsIn({ visitor: v('c') }).map((x) => x.id)).toEqual(['c'])
    expect(visitorsIn({})).toEqual([])
    expect(visitorsIn({ visitors: [null, { state: 'x' }] })).toEqual([])
  })

  it('updates known visitors in place, puts new ones first, drops those who left', () => {
    let list = [v('a', { page_url: '/1' }), v('b'), v('c')]
    list = applyVisitors(list, [v('b', { page_url: '/2', state: 'invited' }), v('d'), v('e'), v('c', { online: false })])
    expect(list.map((x) => x.id)).toEqual(['e', 'd', 'a', 'b'])
    expect(list[3]).toMatchObject({ page_url: '/2', state: 'invited' })
    expect(list[2].page_url).toBe('/1')
    expect(applyVisitors(list, [v('zz', { online: false })])).toEqual(list)
  })

  it('stays bounded when thousands arrive at once', () => {
    let list: Visitor[] = []
    for (let batch = 0; batch < 100; batch++) {
      list = applyVisitors(list, Array.from({ length: 100 }, (_, i) => v(`v${batch * 100 + i}`)))
    }
    expect(list.length).toBe(500)
    expect(list[0].id).toBe('v9999')
  })
})
