// errorText: what a failed call says to the user, in their language. The
// hub answers {error: {code, reason?, params?, message}}: the stable reason
// (wrong_credentials, category_exists, input_too_long …) else the class
// (code) picks the sentence; the developer message (English) is never shown
// in Chinese: at most its Chinese part, for a reason the tables do not know.
import { APIError } from './api'
import { t, has, locale, type MessageKey } from './i18n'

export function errorText(e: unknown): string {
  if (e instanceof APIError) {
    const err = e.body?.error ?? {}
    const text = reasonText(err.reason, err.params)
    if (text) return text
    const params: Record<string, string> = { ...(err.params ?? {}), msg: enPart(e.message), status: String(e.status) }
    const zh = zhPart(e.message)
    if (zh && e.status < 500 && locale.value !== 'en') return e.code === 'invalid' ? t('err_invalid_detail', { detail: zh }) : zh
    for (const k of ['err_' + e.code, e.status === 429 ? 'err_rate_limited' : '']) if (has(k)) return t(k, params)
    return t('err_http', params)
  }
  if (e instanceof TypeError) return t('err_network') // fetch could not reach the hub
  return t('err_internal')
}

// reasonText words a stable reason with its params, or '' when the tables
// do not know it. A reason with a problem param (field_invalid: number,
// date …) has a sentence per problem (err_<reason>_<problem>), else the
// reason's own. The input_* reasons name a field (its JSON name): the
// field's label (fld_<name>) goes in as {label}; a field without a label
// is left to the class's sentence rather than shown by its JSON name.
export function reasonText(reason?: string, params?: Record<string, string>): string {
  if (!reason || !has('err_' + reason)) return ''
  const p: Record<string, string> = { ...(params ?? {}) }
  if (p.field !== undefined && p.label === undefined) {
    // (a custom field's error brings the admin's label along)
    const key = 'fld_' + p.field.replace(/\W/g, '_')
    if (has(key)) p.label = t(key as MessageKey)
    else if (reason.startsWith('input_')) return ''
  }
  // a reason with a problem (field_invalid: number, date …) has a sentence per problem
  const key = p.problem && has('err_' + reason + '_' + p.problem) ? 'err_' + reason + '_' + p.problem : 'err_' + reason
  return t(key as MessageKey, p)
}

// rowText words one row an import refused (row, message, reason?,
// params?): by its reason, else as errorText words a message.
export function rowText(row: { message: string; reason?: string; params?: Record<string, string> }): string {
  const text = reasonText(row.reason, row.params)
  if (text) return text
  if (locale.value === 'en') return enPart(row.message)
  return zhPart(row.message) || t('err_invalid')
}

// zhPart is the Chinese of a hub message written "中文 (English)" or in
// Chinese alone; '' when it has none.
export function zhPart(msg: string): string {
  if (!/[\u4e00-\u9fff]/.test(msg)) return ''
  return msg.replace(/\s*\([\x20-\x7e]*\)\s*$/, '').trim()
}

// enPart is the English of a hub message written "中文 (English)".
function enPart(msg: string): string {
  const m = /[\u4e00-\u9fff].*\(([\x20-\x7e]+)\)\s*$/.exec(msg)
  return m ? m[1] : msg
}
