// The workbench's SLA notice: a ticket's first response or resolution is
// due soon (80 % of its target passed) or breached. The hub sends one
// ticket.sla event per audience (the assignee, each follower; supervisors
// see them all), so one notice per ticket, clock and level. Loaded on the
// first such event, not with the agent bundle.
import type { HubEvent } from '../events'
import { toast } from '../toast'
import { beep, desktop, blink } from '../notify'
import { go } from '../router'
import { st, type SlaKey } from '../console/sla.i18n'

const told = new Set<string>()

export function slaNotice(e: HubEvent) {
  const d = e.data ?? {}
  const key = `${d.ticket_id}/${d.clock}/${d.level}`
  if (told.has(key)) return
  told.add(key)
  const breached = d.level === 'breached'
  const text = st(breached ? 'sla_noticeBreached' : 'sla_noticeWarning', {
    subject: String(d.subject ?? ''),
    clock: st(('sla_clock_' + d.clock) as SlaKey),
    due: d.due_at ? new Date(String(d.due_at)).toLocaleString() : '',
  })
  toast(text, breached ? 'error' : 'ok')
  beep()
  if (document.hidden) {
    desktop(st('sla_breached'), text, () => go('/tickets'))
    blink(text)
  }
}
