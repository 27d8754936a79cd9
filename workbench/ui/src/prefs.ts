// Per-browser workbench preferences, kept in localStorage.
import { reactive, watch } from 'vue'

export interface Prefs {
  sound: boolean // a tone for customers' messages
  soundAssigned: boolean // a tone for a conversation assigned (or waiting) for me
  desktop: boolean
  blink: boolean
  sendKey: 'enter' | 'ctrl'
}

const KEY = 'kefu.prefs'

function load(): Prefs {
  const d: Prefs = { sound: true, soundAssigned: true, desktop: true, blink: true, sendKey: 'enter' }
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

// fromProfile takes the notices the agent keeps with their account (their
// profile on the hub), so every browser they sign in on follows them.
export function fromProfile(n: { sound_assigned: boolean; sound_message: boolean; desktop: boolean }) {
  prefs.sound = n.sound_message
  prefs.soundAssigned = n.sound_assigned
  prefs.desktop = n.desktop
}
