// Per-browser workbench preferences, kept in localStorage.
import { reactive, watch } from 'vue'

export interface Prefs {
  sound: boolean
  desktop: boolean
  blink: boolean
  sendKey: 'enter' | 'ctrl'
}

const KEY = 'kefu.prefs'

function load(): Prefs {
  const d: Prefs = { sound: true, desktop: true, blink: true, sendKey: 'enter' }
  try {
    return { ...d, ...JSON.parse(localStorage.getItem(KEY) || '{}') }
  } catch {
    return d
  }
}

export const prefs = reactive<Prefs>(load())
watch(prefs, (p) => localStorage.setItem(KEY, JSON.stringify(p)), { deep: true })

// isSend: does this key press send the draft under the current setting?
export function isSend(e: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; isComposing?: boolean }, sendKey: Prefs['sendKey']): boolean {
  if (e.key !== 'Enter' || e.isComposing) return false
  if (sendKey === 'ctrl') return e.ctrlKey || e.metaKey
  return !e.shiftKey && !e.ctrlKey && !e.metaKey
}
