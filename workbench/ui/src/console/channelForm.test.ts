import { describe, it, expect } from 'vitest'
import { blankForm, configOf, formFromChannel, validate } from './channelForm'

describe('channel forms', () => {
  it('checks a mailbox, and keeps its passwords on edit', () => {
    const f = blankForm('email')
    f.name = '客服邮箱'
    f.email.smtp_host = 'smtp://x'
    f.email.from_address = 'support'
    f.email.imap_host = 'imap.example.com'
    f.email.poll_seconds = 5
    expect(validate(f, true)).toEqual(['em_badSmtpHost', 'em_badFrom', 'em_badPoll'])
    f.email.smtp_host = 'smtp.example.com'
    f.email.from_address = 'support@example.com'
    f.email.poll_seconds = 60
    f.email.smtp_password = 'pw'
    expect(validate(f, true)).toEqual([])
    expect(configOf(f, true)).toMatchObject({ smtp_host: 'smtp.example.com', smtp_password: 'pw', imap_host: 'imap.example.com', imap_folder: 'INBOX' })
    const edit = formFromChannel({ type: 'email', name: '客服邮箱', config: { smtp_host: 'smtp.example.com', smtp_port: 465, from_address: 'support@example.com' }, default_group_id: null, offline_message: '' })
    const c = configOf(edit, false)
    expect(c.smtp_password).toBeUndefined() // left empty: the stored one stays
    expect(c.imap_host).toBe('') // send only
    expect(c.smtp_port).toBe(465)
  })

  it('checks the API channel callback URL', () => {
    const f = blankForm('api')
    expect(validate(f, true)).toEqual(['nameRequired'])
    f.name = 'Shop'
    f.callback_url = 'ftp://x'
    expect(validate(f, true)).toEqual(['badCallback'])
    f.callback_url = ''
    expect(validate(f, true)).toEqual([]) // no callback: read the REST API
    f.callback_url = 'https://shop.example.com/kefu'
    expect(configOf(f, true)).toEqual({ callback_url: 'https://shop.example.com/kefu' })
  })

  it('checks WeChat credentials, and keeps stored secrets on edit', () => {
    const f = blankForm('wechat')
    f.name = '公众号'
    f.app_id = 'wx123'
    f.token = 'a'
    expect(validate(f, true)).toEqual(['badAppId', 'badAppSecret', 'badToken'])
    f.app_id = 'wx0123456789abcdef'
    f.app_secret = '0123456789abcdef0123456789abcdef'
    f.token = 'tok123'
    f.encoding_aes_key = 'x'.repeat(43)
    expect(validate(f, true)).toEqual([])
    const edit = formFromChannel({ type: 'wechat', name: '公众号', config: { app_id: f.app_id, mode: 'compat' }, default_group_id: null, offline_message: '' })
    expect(validate(edit, false)).toEqual([]) // the secret may stay empty on edit
    expect(configOf(edit, false)).toEqual({ app_id: f.app_id, mode: 'compat', welcome_message: '', rating: true })
  })

  it('checks Weibo credentials, and keeps stored secrets on edit', () => {
    const f = blankForm('weibo')
    f.name = '微博客服'
    f.app_key = 'abc'
    f.uid = '0123'
    expect(validate(f, true)).toEqual(['badAppKey', 'badWeiboSecret', 'badAccessToken', 'badUid'])
    f.app_key = '3326345412'
    f.app_secret = '0123456789abcdef0123456789abcdef'
    f.access_token = '2.00abcdefghijklmnop'
    f.uid = '1902538057'
    expect(validate(f, true)).toEqual([])
    expect(configOf(f, true)).toEqual({ app_key: '3326345412', app_secret: f.app_secret, access_token: f.access_token, uid: '1902538057', rating: true })
    const edit = formFromChannel({ type: 'weibo', name: '微博客服', config: { app_key: '3326345412', uid: '1902538057', rating: false }, default_group_id: null, offline_message: '' })
    expect(validate(edit, false)).toEqual([]) // the secrets may stay empty on edit
    expect(configOf(edit, false)).toEqual({ app_key: '3326345412', uid: '1902538057', rating: false }) // the channel's own invite switch kept
  })

  it('checks QQ bot credentials, and keeps the stored AppSecret on edit', () => {
    const f = blankForm('qq')
    f.name = 'QQ 客服'
    f.app_id = 'bot1'
    f.app_secret = 'short'
    expect(validate(f, true)).toEqual(['badQQAppId', 'badQQSecret'])
    f.app_id = '102000001'
    f.app_secret = 'naOC0ocQE3shWLAfffVLB1rhYPG7'
    expect(validate(f, true)).toEqual([])
    expect(configOf(f, true)).toEqual({ app_id: '102000001', app_secret: 'naOC0ocQE3shWLAfffVLB1rhYPG7', rating: true })
    const edit = formFromChannel({ type: 'qq', name: 'QQ 客服', config: { app_id: '102000001' }, default_group_id: null, offline_message: '' })
    expect(validate(edit, false)).toEqual([])
    expect(configOf(edit, false)).toEqual({ app_id: '102000001', rating: true })
  })

  it('checks 微信客服 credentials, keeps the stored Secret, Token and key on edit', () => {
    const f = blankForm('wecom_kf')
    f.name = '微信客服'
    f.corp_id = 'ww 1'
    f.app_secret = 'short'
    f.open_kfid = ''
    f.token = 'bad token!'
    expect(validate(f, true)).toEqual(['badCorpId', 'badKfSecret', 'badOpenKfId', 'badToken'])
    f.corp_id = 'ww0123456789abcdef'
    f.app_secret = 'Kq2-mX_0123456789abcdefGHIJKLMNOPQRSTUVWXY'
    f.open_kfid = 'wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q'
    f.token = ''
    f.welcome_message = '您好，欢迎咨询'
    expect(validate(f, true)).toEqual([])
    expect(configOf(f, true)).toEqual({ corp_id: 'ww0123456789abcdef', secret: f.app_secret, open_kfid: f.open_kfid, welcome_message: '您好，欢迎咨询', rating: true })
    const edit = formFromChannel({ type: 'wecom_kf', name: '微信客服', config: { corp_id: 'ww0123456789abcdef', open_kfid: 'wk01234567' }, default_group_id: null, offline_message: '' })
    expect(validate(edit, false)).toEqual([])
    expect(configOf(edit, false)).toEqual({ corp_id: 'ww0123456789abcdef', open_kfid: 'wk01234567', welcome_message: '', rating: true })
  })

  it('checks and shapes the web channel', () => {
    const f = blankForm('web')
    f.name = '官网'
    expect(validate(f, true)).toContain('domainsRequired')
    f.web.allowed_domains = 'www.example.com\n*.example.cn, bad domain!'
    f.web.color = 'blue'
    f.web.logo_url = 'http://x/logo.png'
    f.web.default_lang = 'zh-TW'
    f.web.offline_fields.push({ name: 'phone', label: 'again', type: 'tel', required: false })
    expect(validate(f, true)).toEqual(['badDomain', 'badColor', 'badLogo', 'badLangs', 'badFormFields'])
    f.web.allowed_domains = 'www.example.com\n*.example.cn'
    f.web.color = '#ff6600'
    f.web.logo_url = 'https://cdn.example.com/logo.png'
    f.web.default_lang = 'en'
    f.web.offline_fields.pop()
    f.web.upload_max_kb = 2048
    f.web.upload_types = 'image/*, application/pdf'
    f.web.open_per_address = 3
    f.web.open_per_channel = 200
    expect(validate(f, true)).toEqual([])
    const c = configOf(f, true)
    expect(c.allowed_domains).toEqual(['www.example.com', '*.example.cn'])
    expect(c.upload).toEqual({ max_bytes: 2048 * 1024, types: ['image/*', 'application/pdf'] })
    // the conversation caps survive an edit in the console
    expect(c.limits).toEqual({ open_per_address: 3, open_per_channel: 200 })
    // and back: what the hub stores fills the form again
    const back = formFromChannel({ type: 'web', name: '官网', config: c, default_group_id: 'gr_1', offline_message: '' })
    expect(configOf(back, false)).toEqual(c)
  })
})

// Issue 18 bug 7: a group choice without a group (or label) is an error the
// admin sees, not a row silently dropped (which saved groups: []).
describe('web group choices', () => {
  it('flags an incomplete row and keeps complete ones', () => {
    const f = blankForm('web')
    f.name = '官网'
    f.web.allowed_domains = 'shop.example.com'
    f.web.groups.push({ id: '', label: '' })
    expect(validate(f, true)).toContain('groupChoiceIncomplete')
    f.web.groups[0] = { id: 'gr_1', label: ' 售前 ' }
    expect(validate(f, true)).not.toContain('groupChoiceIncomplete')
    expect(configOf(f, true).groups).toEqual([{ id: 'gr_1', label: '售前' }])
  })

  it('builds the app channel: identity, push senders, keys kept on edit, push removed when none', () => {
    const f = blankForm('app')
    f.name = '商城 App'
    f.app.webhook_on = true
    f.app.webhook_url = 'push.example.com'
    expect(validate(f, true)).toEqual(['ap_badWebhook', 'ap_badWebhookSecret'])
    f.app.webhook_url = 'https://push.example.com/kefu'
    f.app.webhook_secret = 'whsec_' + 'A'.repeat(32)
    f.app.identity = 'jwt'
    expect(validate(f, true)).toEqual([])
    expect(configOf(f, true)).toEqual({ identity: 'jwt', rating: true,
      push: { webhook: { url: 'https://push.example.com/kefu', secret: 'whsec_' + 'A'.repeat(32) } } })
    // On edit the hub shows the push config without its keys; saving it
    // unchanged sends none, and the hub keeps the stored ones.
    const e = formFromChannel({ type: 'app', name: 'x', default_group_id: null, offline_message: '',
      config: { identity: 'hmac', rating: false, push: { webhook: { url: 'https://p.example' }, fcm: {},
        apns: { team_id: 'ABCDE12345', key_id: 'KEY1234567', bundle_id: 'com.x', sandbox: true } } } })
    expect(validate(e, false)).toEqual([])
    expect(configOf(e, false)).toEqual({ identity: 'hmac', rating: false, push: { webhook: { url: 'https://p.example' }, fcm: {},
      apns: { team_id: 'ABCDE12345', key_id: 'KEY1234567', bundle_id: 'com.x', sandbox: true } } })
    e.app.webhook_on = e.app.fcm_on = e.app.apns_on = false
    expect(configOf(e, false).push).toBeNull()
    e.app.apns_on = true
    e.app.apns_team_id = 'abc'
    expect(validate(e, true)).toEqual(['ap_badApnsIds', 'ap_badP8'])
  })
})
