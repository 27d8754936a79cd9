// errorText: what a failed call says to the user, in their language. The
// hub answers {error: {code, reason?, params?, message}}: the stable reason
// (wrong_credentials, category_exists …) else the class (code) picks the
// sentence; the developer message is never shown in Chinese.
import { APIError } from './api'
import { t, has } from './i18n'

export function errorText(e: unknown): string {
  if (e instanceof APIError) {
    const err = e.body?.error ?? {}
    const params: Record<string, string> = { ...(err.params ?? {}), msg: e.message, status: String(e.status) }
    for (const k of ['err_' + err.reason, 'err_' + e.code, e.status === 429 ? 'err_rate_limited' : '']) if (has(k)) return t(k, params)
    return t('err_http', params)
  }
  if (e instanceof TypeError) return t('err_network') // fetch could not reach the hub
  return t('err_internal')
}
