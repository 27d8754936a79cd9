// The chat page: history first, then the SDK's events. Messages are keyed
// by client_id (your own, shown at once and confirmed by the echo) or id.
const app = getApp()
const kefu = app.kefu
const Kefu = require('../../libs/kefu.js')
const STATES = { connecting: '连接中…', open: '', closed: '已断开，自动重连中', offline: '网络不可用，消息将在恢复后发出' }

Page({
  data: { messages: [], draft: '', stateText: '', notice: '', bottom: '', rating: '', levels: [], picked: 0, reasons: [], comment: '' },
  offs: [],
  scale: { enabled: false, levels: [] },

  onLoad() {
    const on = (ev, fn) => this.offs.push(kefu.on(ev, fn))
    on('message', (m) => this.upsert(m))
    on('connection', (c) => this.setData({ stateText: STATES[c.state] }))
    on('typing', (t) => this.setData({ notice: t.typing ? '客服正在输入…' : '' }))
    on('queue', (q) => this.setData({ notice: `排队中，前面还有 ${q.position} 位` }))
    on('agent', (a) => this.setData({ notice: `${a.name} 为您服务` }))
    on('offline', () => this.setData({ notice: '客服暂不在线，请留言' }))
    on('closed', (c) => {
      this.setData({ notice: '会话已结束' })
      if (c.rate) this.askRating(c.conversation_id)
    })
    on('rate', (r) => this.askRating(r.conversation_id)) // the agent invites a rating
    kefu
      .ratingScale()
      .then((s) => (this.scale = s))
      .catch(() => {})
    kefu
      .messages({ limit: 50 })
      .then((r) => r.messages.forEach((m) => this.upsert(m)))
      .catch(() => {})
    kefu.pending().forEach((p) => this.upsert({ client_id: p.client_msg_id, direction: 'in', text: p.text, pending: true }))
  },

  onUnload() {
    this.offs.forEach((off) => off())
  },

  upsert(m) {
    const key = m.client_id || m.id
    const images = (m.attachments || []).filter((a) => /^image\//.test(a.type)).map((a) => (a.url[0] === '/' ? app.hub + a.url : a.url))
    const row = { key, direction: m.direction, sender_name: m.sender_name || '', text: m.text || '', images, pending: !!m.pending }
    const i = this.data.messages.findIndex((x) => x.key === key)
    if (i >= 0) this.setData({ [`messages[${i}]`]: row })
    else this.setData({ messages: this.data.messages.concat(row), bottom: 'm' + this.data.messages.length })
  },

  onInput(e) {
    this.setData({ draft: e.detail.value })
    kefu.typing(e.detail.value)
  },

  send() {
    const text = this.data.draft.trim()
    if (!text) return
    const id = Kefu.uuid()
    this.setData({ draft: '' })
    kefu.typing('')
    this.upsert({ client_id: id, direction: 'in', text, pending: true })
    // kept in wx storage until the hub has it, resent after reconnects and restarts
    kefu.send({ clientMsgId: id, text }).catch((e) => wx.showToast({ title: '发送失败：' + e.message, icon: 'none' }))
  },

  pickImage() {
    wx.chooseMedia({
      count: 1,
      mediaType: ['image'],
      success: async (r) => {
        try {
          const up = await kefu.upload(r.tempFiles[0].tempFilePath)
          await kefu.send({ attachments: [up] })
        } catch (e) {
          wx.showToast({ title: '上传失败', icon: 'none' })
        }
      },
    })
  },

  // The rating form (满意度): the tenant's levels best first (five stars
  // when the hub sends none), the picked level's reasons, a comment.
  askRating(conversationId) {
    const levels = this.scale.levels.length ? this.scale.levels : [5, 4, 3, 2, 1].map((s) => ({ score: s, label: '★'.repeat(s), reasons: [] }))
    this.setData({ rating: conversationId, levels, picked: 0, reasons: [], comment: '' })
  },

  pickLevel(e) {
    const score = Number(e.currentTarget.dataset.score)
    const level = this.data.levels.find((l) => l.score === score)
    this.setData({ picked: score, reasons: level.reasons.map((name) => ({ name, on: false })) })
  },

  tickReason(e) {
    const i = e.currentTarget.dataset.i
    this.setData({ [`reasons[${i}].on`]: !this.data.reasons[i].on })
  },

  onComment(e) {
    this.setData({ comment: e.detail.value })
  },

  sendRating() {
    const { picked, reasons, comment, rating } = this.data
    kefu
      .rate(picked, { comment: comment.trim(), reasons: reasons.filter((r) => r.on).map((r) => r.name), conversationId: rating })
      .then(
        () => this.setData({ rating: '', notice: '感谢您的评价' }),
        (e) => wx.showToast({ title: e.code === 'conflict' ? '评价已无法修改' : '评价未能提交', icon: 'none' }),
      )
  },

  preview(e) {
    wx.previewImage({ urls: [e.currentTarget.dataset.src] })
  },
})
