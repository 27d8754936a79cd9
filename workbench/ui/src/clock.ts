// One shared one-second clock for countdowns and waiting times.
import { ref } from 'vue'

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
