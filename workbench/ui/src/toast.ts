// Toasts: short notices at the corner of the screen instead of raw text or
// alert() — an error stays until dismissed (or 8 s), a success 3 s.
import { reactive } from 'vue'

export interface Toast {
  id: number
  text: string
  kind: 'error' | 'ok'
}
export const toasts = reactive<Toast[]>([])
let next = 0

export function toast(text: string, kind: Toast['kind'] = 'ok') {
  const id = ++next
  toasts.push({ id, text, kind })
  if (toasts.length > 4) toasts.shift()
  setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 3000)
}
export function dismiss(id: number) {
  const i = toasts.findIndex((x) => x.id === id)
  if (i >= 0) toasts.splice(i, 1)
}
