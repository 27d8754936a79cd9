// The automations settings form's model, shared by the tenant's page and
// each channel's override (GET/PUT /automations, /channels/:id/automations).

// normalize fills in every section the form shows, on a deep copy.
export function normalize(e: any): any {
  const x = JSON.parse(JSON.stringify(e ?? {}))
  x.greeting ??= { enabled: false, after_seconds: 0, text: '' }
  x.still_checking ??= { enabled: false, after_seconds: 60, text: '' }
  x.unanswered ??= { enabled: true, after_seconds: 120 }
  x.idle ??= { enabled: false, reminder_after_seconds: 300, reminder_text: '', close_after_seconds: 600, close_text: '' }
  x.masking ??= { enabled: true, patterns: [] }
  x.masking.patterns ??= []
  return x
}

// prepare checks the masking patterns compile and turns the number fields
// into numbers; it returns the name of the first bad pattern, else null.
export function prepare(a: any): { badRegex: string } | null {
  for (const p of a.masking.patterns) {
    try {
      new RegExp(p.regex)
    } catch {
      return { badRegex: p.name || p.regex }
    }
  }
  const num = (o: any, ...ks: string[]) => ks.forEach((k) => (o[k] = Number(o[k]) || 0))
  num(a.greeting, 'after_seconds')
  num(a.still_checking, 'after_seconds')
  num(a.unanswered, 'after_seconds')
  num(a.idle, 'reminder_after_seconds', 'close_after_seconds')
  for (const p of a.masking.patterns) num(p, 'keep_first', 'keep_last')
  return null
}

// hasOverride: whether a channel's stored settings override anything (the
// API answers {} for a channel that uses the tenant's).
export function hasOverride(settings: unknown): boolean {
  return !!settings && typeof settings === 'object' && Object.keys(settings as object).length > 0
}
