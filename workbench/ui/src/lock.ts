// What a refused sign-in says: the hub answers 429 with a stable code
// (account_locked, address_locked, totp_locked, busy) and, for a lock, the
// seconds it still lasts; the login page says it in the user's language
// (lockMessage, with the i18n table's t).
import type { MessageKey } from './i18n'

type T = (key: MessageKey, vars?: Record<string, string>) => string

const lockKeys: Record<string, MessageKey> = {
  account_locked: 'accountLocked',
  address_locked: 'addressLocked',
  totp_locked: 'totpLocked',
  busy: 'loginBusy',
}

// waitText is a lock's remaining time: seconds under a minute, else whole
// minutes rounded up.
export function waitText(t: T, seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds))
  return s < 60 ? t('waitSeconds', { n: String(s) }) : t('waitMinutes', { n: String(Math.ceil(s / 60)) })
}

// lockMessage is the login page's message for a refused sign-in (a 429
// APIError), or '' when the error is something else.
export function lockMessage(t: T, e: unknown): string {
  const err = e as { status?: number; code?: string; body?: any }
  const key = err && err.status === 429 ? lockKeys[err.code ?? ''] : undefined
  if (!key) return ''
  return t(key, { wait: waitText(t, Number(err.body?.error?.retry_after) || 60) })
}
