import { describe, it, expect } from 'vitest'
import { lockMessage, waitText } from './lock'

// A stand-in for i18n's t with the zh-CN strings these messages use.
const zh: Record<string, string> = {
  accountLocked: '登录失败次数过多，账号已临时锁定，请 {wait}后再试。',
  addressLocked: '此网络地址登录失败次数过多，请 {wait}后再试。',
  totpLocked: '动态码错误次数过多，已临时锁定，请 {wait}后再试。',
  loginBusy: '登录请求过多，请稍候几秒再试。',
  waitMinutes: '{n} 分钟',
  waitSeconds: '{n} 秒',
}
const t = (key: string, vars: Record<string, string> = {}) => (zh[key] ?? key).replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '')
const refused = (code: string, retry?: number) => ({ status: 429, code, body: { error: { code, retry_after: retry } } })

describe('lock messages', () => {
  it('say how long a lock lasts, in whole minutes or seconds', () => {
    expect(waitText(t, 59)).toBe('59 秒')
    expect(waitText(t, 61)).toBe('2 分钟')
    expect(waitText(t, 0)).toBe('1 秒')
  })

  it('name what is locked', () => {
    expect(lockMessage(t, refused('account_locked', 120))).toBe('登录失败次数过多，账号已临时锁定，请 2 分钟后再试。')
    expect(lockMessage(t, refused('address_locked', 30))).toBe('此网络地址登录失败次数过多，请 30 秒后再试。')
    expect(lockMessage(t, refused('totp_locked', 300))).toBe('动态码错误次数过多，已临时锁定，请 5 分钟后再试。')
    expect(lockMessage(t, refused('busy'))).toBe('登录请求过多，请稍候几秒再试。')
  })

  it('leave other errors alone', () => {
    expect(lockMessage(t, { status: 401, code: 'unauthorized' })).toBe('')
    expect(lockMessage(t, { status: 429, code: 'rate_limited' })).toBe('')
    expect(lockMessage(t, new Error('boom'))).toBe('')
  })
})
