// A tiny history router: the workbench lives at /, its sections at
// /visitors, /tickets, /history, /settings, and the admin console under
// /console/<section>. The hub serves index.html for any page path.
import { reactive } from 'vue'

export const route = reactive({ path: location.pathname })

export function go(path: string) {
  if (path === route.path) return
  history.pushState({}, '', path)
  route.path = path
}

window.addEventListener('popstate', () => (route.path = location.pathname))

export function isConsole(): boolean {
  return route.path === '/console' || route.path.startsWith('/console/')
}

// section: the first path part after the prefix ('' for the root).
export function section(prefix = ''): string {
  const rest = route.path.slice(prefix.length).replace(/^\/+/, '')
  return rest.split('/')[0] || ''
}
