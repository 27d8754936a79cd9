// The rating page (满意度评价页) an invitation on WeChat, Weibo, QQ or
// WeCom links to: /r/{token}. Everything shown of the tenant's scale or of
// the customer's rating is set as text (textContent), never as markup.
;(function () {
  'use strict'
  var T = {
    'zh-CN': {
      title: '服务评价', loading: '正在加载…', level: '请选择您的评价', reasons: '原因（可多选）',
      comment: '留言（选填）', submit: '提交评价', change: '修改评价', sending: '正在提交…', retry: '重试',
      empty: '您还没有评价本次服务。', rated: '您的评价：{label}', until: '{time} 前可以修改。',
      final: '您已评价：{label}。感谢您的反馈！', done: '感谢您的评价！', pick: '请先选择一个评价。',
      invalid: '这个评价链接无效，请检查链接是否完整。', expired: '这个评价链接已过期。',
      closed: '评价已不能再修改。', error: '出错了，请稍后重试。', bad: '提交的内容有误，请检查后重试。',
      placeholder: '说说您的感受…'
    },
    'zh-TW': {
      title: '服務評價', loading: '正在載入…', level: '請選擇您的評價', reasons: '原因（可複選）',
      comment: '留言（選填）', submit: '提交評價', change: '修改評價', sending: '正在提交…', retry: '重試',
      empty: '您還沒有評價本次服務。', rated: '您的評價：{label}', until: '{time} 前可以修改。',
      final: '您已評價：{label}。感謝您的回饋！', done: '感謝您的評價！', pick: '請先選擇一個評價。',
      invalid: '這個評價連結無效，請檢查連結是否完整。', expired: '這個評價連結已過期。',
      closed: '評價已不能再修改。', error: '出錯了，請稍後重試。', bad: '提交的內容有誤，請檢查後重試。',
      placeholder: '說說您的感受…'
    },
    en: {
      title: 'Rate our service', loading: 'Loading…', level: 'How was our service?', reasons: 'Reasons (pick any)',
      comment: 'Comment (optional)', submit: 'Send rating', change: 'Change rating', sending: 'Sending…', retry: 'Retry',
      empty: 'You have not rated this conversation yet.', rated: 'Your rating: {label}', until: 'You can change it until {time}.',
      final: 'You rated it: {label}. Thank you for your feedback!', done: 'Thank you for your rating!',
      pick: 'Please pick a rating first.', invalid: 'This rating link is not valid; check that it is complete.',
      expired: 'This rating link has expired.', closed: 'The rating can no longer be changed.',
      error: 'Something went wrong; please try again later.', bad: 'Something in the rating is not right; please check it.',
      placeholder: 'Tell us more…'
    }
  }
  function pickLang () {
    var q = new URLSearchParams(location.search).get('lang')
    if (q && T[q]) return q
    var ls = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || '']
    for (var i = 0; i < ls.length; i++) {
      var l = String(ls[i]).toLowerCase()
      if (/^zh-(tw|hk|mo|hant)/.test(l)) return 'zh-TW'
      if (l.indexOf('zh') === 0) return 'zh-CN'
      if (l.indexOf('en') === 0) return 'en'
    }
    return 'zh-CN'
  }
  var lang = pickLang()
  var t = function (k, p) {
    return T[lang][k].replace(/\{(\w+)\}/g, function (_, n) { return p && p[n] != null ? p[n] : '' })
  }
  var $ = function (id) { return document.getElementById(id) }
  var token = decodeURIComponent(location.pathname.replace(/^\/r\//, '').replace(/\/$/, ''))
  var app = $('app'), status = $('status'), form = $('form'), levels = $('levels'), reasonsBox = $('reasons-box')
  var reasonsEl = $('reasons'), comment = $('comment'), errEl = $('error'), submit = $('submit'), retry = $('retry')
  var data = null, score = 0, ticked = []

  document.documentElement.lang = lang
  document.title = t('title')
  $('title').textContent = t('title')
  $('l-level').textContent = t('level')
  $('l-reasons').textContent = t('reasons')
  $('l-comment').textContent = t('comment')
  comment.placeholder = t('placeholder')
  retry.textContent = t('retry')
  Array.prototype.forEach.call(document.querySelectorAll('.langs a'), function (a) {
    if (a.getAttribute('data-lang') === lang) a.setAttribute('aria-current', 'true')
  })

  function state (s, text) {
    app.setAttribute('data-state', s)
    app.setAttribute('aria-busy', s === 'loading' ? 'true' : 'false')
    status.textContent = text
    form.hidden = !(s === 'empty' || s === 'rated')
    retry.hidden = s !== 'error'
  }
  function labelOf (sc) {
    for (var i = 0; i < data.levels.length; i++) if (data.levels[i].score === sc) return data.levels[i].label
    return String(sc)
  }
  function when (iso) {
    try {
      return new Date(iso).toLocaleString(lang, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    } catch (e) { return iso }
  }
  function failed (res, body) {
    var reason = body && body.error && body.error.reason
    if (res.status === 404) return state('invalid', t('invalid'))
    if (reason === 'rating_link_expired') return state('expired', t('expired'))
    if (res.status === 409) return state('final', t('closed'))
    state('error', t('error'))
  }
  function call (method, body) {
    return fetch('/api/v1/rate/' + encodeURIComponent(token), {
      method: method, headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined, cache: 'no-store', credentials: 'omit'
    }).then(function (res) {
      return res.json().catch(function () { return null }).then(function (b) { return { res: res, body: b } })
    })
  }
  function drawLevels () {
    levels.textContent = ''
    data.levels.forEach(function (l, i) {
      var b = document.createElement('button')
      b.type = 'button'
      b.setAttribute('data-score', String(l.score))
      b.setAttribute('aria-pressed', String(l.score === score))
      var name = document.createElement('span')
      name.textContent = l.label
      var n = document.createElement('span')
      n.className = 'n'
      n.textContent = String(i + 1)
      b.appendChild(name)
      b.appendChild(n)
      b.addEventListener('click', function () {
        if (score !== l.score) ticked = []
        score = l.score
        errEl.hidden = true
        drawLevels()
      })
      levels.appendChild(b)
    })
    drawReasons()
  }
  function drawReasons () {
    reasonsEl.textContent = ''
    var level = null
    data.levels.forEach(function (l) { if (l.score === score) level = l })
    var rs = (level && level.reasons) || []
    reasonsBox.hidden = rs.length === 0
    rs.forEach(function (r) {
      var b = document.createElement('button')
      b.type = 'button'
      b.textContent = r
      b.setAttribute('aria-pressed', String(ticked.indexOf(r) >= 0))
      b.addEventListener('click', function () {
        var i = ticked.indexOf(r)
        if (i >= 0) ticked.splice(i, 1)
        else ticked.push(r)
        b.setAttribute('aria-pressed', String(i < 0))
      })
      reasonsEl.appendChild(b)
    })
  }
  function show (v) {
    data = v
    var r = v.rating
    if (r && !v.can_rate) return state('final', t('final', { label: labelOf(r.score) }))
    score = r ? r.score : 0
    ticked = r && r.reasons ? r.reasons.slice() : []
    comment.value = r ? r.comment : ''
    submit.textContent = r ? t('change') : t('submit')
    drawLevels()
    if (r) state('rated', t('rated', { label: labelOf(r.score) }) + ' ' + (v.changeable_until ? t('until', { time: when(v.changeable_until) }) : ''))
    else state('empty', t('empty'))
  }
  function load () {
    state('loading', t('loading'))
    call('GET').then(function (x) {
      if (!x.res.ok || !x.body) return failed(x.res, x.body)
      show(x.body)
    }, function () { state('error', t('error')) })
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault()
    if (!score) {
      errEl.textContent = t('pick')
      errEl.hidden = false
      return
    }
    submit.disabled = true
    submit.textContent = t('sending')
    errEl.hidden = true
    call('POST', { score: score, reasons: ticked, comment: comment.value }).then(function (x) {
      submit.disabled = false
      if (x.res.status === 400) {
        submit.textContent = data.rating ? t('change') : t('submit')
        errEl.textContent = t('bad')
        errEl.hidden = false
        return
      }
      if (!x.res.ok || !x.body) return failed(x.res, x.body)
      data = x.body
      state('done', t('done'))
    }, function () {
      submit.disabled = false
      submit.textContent = data.rating ? t('change') : t('submit')
      errEl.textContent = t('error')
      errEl.hidden = false
    })
  })
  retry.addEventListener('click', load)
  load()
})()
