// Telling the agent about new work while they look elsewhere: a short tone
// (Web Audio, no asset), a desktop notification and a blinking title when
// the tab is hidden. Each is switchable in the settings (prefs.ts).
import { prefs } from './prefs'

let audio: AudioContext | null = null
let blinkTimer: number | undefined
let baseTitle = document.title

// beep sounds for a customer's message, or with assigned for a
// conversation assigned to (or waiting for) the agent; each has its switch.
export function beep(assigned = false) {
  if (!(assigned ? prefs.soundAssigned : prefs.sound)) return
  try {
    audio ??= new AudioContext()
    const o = audio.createOscillator()
    const g = audio.createGain()
    o.frequency.value = 880
    g.gain.setValueAtTime(0.15, audio.currentTime)
    g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35)
    o.connect(g).connect(audio.destination)
    o.start()
    o.stop(audio.currentTime + 0.35)
  } catch {
    /* no audio device */
  }
}

export function desktop(title: string, body: string, onClick?: () => void) {
  if (!prefs.desktop || !('Notification' in window) || Notification.permission !== 'granted') return
  try {
    const n = new Notification(title, { body: body.slice(0, 140), tag: 'kefu' })
    n.onclick = () => {
      window.focus()
      onClick?.()
      n.close()
    }
  } catch {
    /* not allowed here */
  }
}

export async function askPermission() {
  if ('Notification' in window && Notification.permission === 'default') await Notification.requestPermission()
}

export function blink(text: string) {
  if (!prefs.blink || !document.hidden || blinkTimer) return
  baseTitle = document.title
  let on = false
  blinkTimer = window.setInterval(() => {
    on = !on
    document.title = on ? text : baseTitle
  }, 1000)
}

export function stopBlink() {
  if (!blinkTimer) return
  clearInterval(blinkTimer)
  blinkTimer = undefined
  document.title = baseTitle
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) stopBlink()
})
