// The live visitor list follows visitor.updated events. The hub gathers a
// visitor's changes for a moment and sends them in batches:
// {visitors: [...]} with each visitor in its latest state (older hubs sent
// {visitor: {...}}, one at a time). Visitors who left drop out; the list
// keeps the most recently updated first and at most `max` rows (the REST
// list shows at most 500 too), so an arrival storm cannot grow it without
// bound.
import type { Visitor } from './api'

export const maxVisitorRows = 500

// visitorsIn reads the visitors an event's data carries (either shape).
export function visitorsIn(data: any): Visitor[] {
  if (Array.isArray(data?.visitors)) return data.visitors.filter((v: any) => v && typeof v.id === 'string')
  if (data?.visitor && typeof data.visitor.id === 'string') return [data.visitor]
  return []
}

// applyVisitors returns the list with an update applied: a known visitor is
// updated in place, a new one goes first, one who left goes.
export function applyVisitors(list: Visitor[], update: Visitor[], max = maxVisitorRows): Visitor[] {
  if (update.length === 0) return list
  const byId = new Map(update.map((v) => [v.id, v]))
  const out: Visitor[] = []
  for (const old of list) {
    const v = byId.get(old.id)
    if (!v) out.push(old)
    else {
      byId.delete(old.id)
      if (v.online !== false) out.push({ ...old, ...v })
    }
  }
  const fresh = [...byId.values()].filter((v) => v.online !== false).reverse()
  return [...fresh, ...out].slice(0, max)
}
