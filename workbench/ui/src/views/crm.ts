// The customer center's and the ticket workflow's API calls and types,
// loaded with their pages (not with the agent bundle).
import { call, qs, getToken, APIError, type Ticket } from '../api'

export interface Customer {
  id: string
  name: string
  phone: string
  email: string
  company: string
  channel_id: string
  external_id: string
  owner_id: string | null
  tags: string[]
  notes: string
  custom: Record<string, string>
  next_followup_at?: string | null
  merged_into?: string | null
  created_at: string
}
// CustomField is an admin-defined field (自定义字段); a multi select's value
// is its options joined by commas.
export interface CustomField {
  id: string
  key: string
  label: string
  type: 'text' | 'number' | 'date' | 'select' | 'multi_select'
  required: boolean
  options: string[]
  position: number
}
export interface FollowUp {
  id: string
  agent_id: string
  note: string
  next_at: string | null
  created_at: string
}
export interface Merge {
  id: string
  survivor_id: string
  merged_id: string
  agent_id: string
  created_at: string
  undone_at: string | null
  merged_name?: string
}
export interface Suggestion {
  contact: Customer
  reasons: ('phone' | 'email' | 'app_user')[]
}
export interface ImportReport {
  dry_run: boolean
  rows: number
  created: number
  committed: boolean
  errors: { row: number; column: string; reason: string }[]
}
export interface CustomerPage {
  contacts: Customer[]
  more: boolean
}
export type CustomerEdit = Partial<Pick<Customer, 'name' | 'phone' | 'email' | 'company' | 'notes' | 'tags' | 'custom'>> & { owner_id?: string }
export interface WorkTicket extends Ticket {
  priority: string
  type: string
  origin: string
  // the keys of the required custom fields the ticket has no value for
  missing_fields?: string[]
  due_at?: string
  // SLA: the first-response due time until answered, each clock's state
  // (running, warning, breached), since when the resolution clock stands,
  // the earliest running due time; and who follows the ticket.
  first_response_due_at?: string
  first_responded_at?: string
  first_response_sla?: 'running' | 'warning' | 'breached'
  resolution_sla?: 'running' | 'warning' | 'breached'
  sla_paused_at?: string
  next_due_at?: string
  followers?: string[]
  // the ticket's custom-field values by field key
  fields?: Record<string, string>
}
// SavedView is a ticket view an agent saved (已保存的视图): its filters,
// shared with the team or not, and its count for the caller (at most 1000;
// more says there are more).
export interface SavedView {
  id: string
  owner_id: string
  name: string
  shared: boolean
  filter: Record<string, string>
  count: number
  more: boolean
}
export interface TicketView {
  id: string
  count: number
}

const enc = encodeURIComponent
export const crm = {
  customers: (q: Record<string, string | number>) => call<CustomerPage>('GET', '/contacts' + qs(q)),
  createCustomer: (c: CustomerEdit) => call<Customer>('POST', '/contacts', c),
  updateCustomer: (id: string, c: CustomerEdit) => call<Customer>('PATCH', '/contacts/' + enc(id), c),
  createTicket: (body: Record<string, unknown>) => call<WorkTicket>('POST', '/tickets', body),
  updateTicket: (id: string, body: Record<string, unknown>) => call<WorkTicket>('PATCH', '/tickets/' + enc(id), body),
  reopenTicket: (id: string) => call<WorkTicket>('POST', `/tickets/${enc(id)}/reopen`),
  views: () => call<{ views: TicketView[]; saved: SavedView[] }>('GET', '/tickets/views'),
  saveView: (v: { name?: string; shared?: boolean; filter?: Record<string, string> }, id?: string) =>
    id ? call<SavedView>('PATCH', '/ticket-views/' + enc(id), v) : call<SavedView>('POST', '/ticket-views', v),
  deleteView: (id: string) => call('DELETE', '/ticket-views/' + enc(id)),
  fields: (entity = 'contact') => call<{ fields: CustomField[] }>('GET', '/custom-fields?entity=' + entity),
  createField: (f: Partial<CustomField>, entity = 'contact') => call<CustomField>('POST', '/custom-fields', { ...f, entity }),
  updateField: (id: string, f: Partial<CustomField>) => call<CustomField>('PATCH', '/custom-fields/' + enc(id), f),
  deleteField: (id: string) => call('DELETE', '/custom-fields/' + enc(id)),
  followUps: (id: string) => call<{ followups: FollowUp[] }>('GET', `/contacts/${enc(id)}/followups`),
  addFollowUp: (id: string, note: string, next_at: string | null) => call<FollowUp>('POST', `/contacts/${enc(id)}/followups`, { note, next_at }),
  suggestions: (id: string) => call<{ suggestions: Suggestion[] }>('GET', `/contacts/${enc(id)}/merge-suggestions`),
  merge: (id: string, mergedID: string) => call<Merge>('POST', `/contacts/${enc(id)}/merge`, { merged_id: mergedID }),
  merges: (id: string) => call<{ merges: Merge[] }>('GET', `/contacts/${enc(id)}/merges`),
  unmerge: (mergeID: string) => call<Merge>('POST', `/contact-merges/${enc(mergeID)}/undo`),
  // importSheet sends a CSV or XLSX file as it is (a dry run unless commit)
  importSheet: async (file: File, commit: boolean): Promise<ImportReport> => {
    const format = file.name.toLowerCase().endsWith('.xlsx') ? 'xlsx' : 'csv'
    const res = await fetch('/api/v1/contacts/import' + qs({ format, dry_run: !commit }), {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + getToken() },
      body: file,
    })
    const data = await res.json().catch(() => ({}))
    if (!res.ok) throw new APIError(res.status, data?.error?.code ?? 'http_' + res.status, data?.error?.message ?? res.statusText, data)
    return data as ImportReport
  },
  // exportSheet downloads the list as filtered
  exportSheet: async (q: Record<string, string>, format: 'csv' | 'xlsx') => {
    const res = await fetch('/api/v1/contacts/export' + qs({ ...q, format }), { headers: { Authorization: 'Bearer ' + getToken() } })
    if (!res.ok) throw new APIError(res.status, 'http_' + res.status, res.statusText)
    const url = URL.createObjectURL(await res.blob())
    const a = document.createElement('a')
    a.href = url
    a.download = 'customers.' + format
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 5000)
  },
  follow: (id: string, on: boolean) => call<WorkTicket>(on ? 'POST' : 'DELETE', `/tickets/${enc(id)}/follow`),
}

// tagList reads a comma-separated tag field (中文 commas too).
export const tagList = (s: string) =>
  s
    .split(/[,，]/)
    .map((x) => x.trim())
    .filter(Boolean)
