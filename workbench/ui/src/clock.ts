// One shared one-second clock for countdowns and waiting times.
import { ref, onMounted, onBeforeUnmount } from 'vue'

export const now = ref(Date.now())
setInterval(() => (now.value = Date.now()), 1000)

type Listener = (e: import('./events').HubEvent) => void
const listeners = new Set<Listener>()
// onHubEvent lets a view hear the websocket events the shell receives.
export function onHubEvent(l: Listener): () => void {
  listeners.add(l)
  return () => listeners.delete(l)
}
export function emitHubEvent(e: import('./events').HubEvent) {
  for (const l of listeners) l(e)
}

// liveRefresh keeps a view's figures current while it is mounted: load now,
// again after the hub's events (coalesced: at most once a second; typing
// is not news) and every `every` ms as a fallback. Call it in setup.
export function liveRefresh(load: () => void, every = 15000) {
  let pending: number | undefined
  let off: (() => void) | undefined
  let timer: number | undefined
  onMounted(() => {
    load()
    off = onHubEvent((e) => {
      if (e.type === 'typing' || pending) return
      pending = window.setTimeout(() => {
        pending = undefined
        load()
      }, 1000)
    })
    timer = window.setInterval(load, every)
  })
  onBeforeUnmount(() => {
    off?.()
    clearInterval(timer)
    clearTimeout(pending)
  })
}
