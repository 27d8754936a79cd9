// The customer center's and the ticket workflow's API calls and types,
// loaded with their pages (not with the agent bundle).
import { call, qs, type Ticket } from '../api'

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
  created_at: string
}
export interface CustomerPage {
  contacts: Customer[]
  more: boolean
}
export type CustomerEdit = Partial<Pick<Customer, 'name' | 'phone' | 'email' | 'company' | 'notes' | 'tags'>> & { owner_id?: string }
export interface WorkTicket extends Ticket {
  priority: string
  type: string
  origin: string
  due_at?: string
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
  views: () => call<{ views: TicketView[] }>('GET', '/tickets/views'),
}

// tagList reads a comma-separated tag field (中文 commas too).
export const tagList = (s: string) =>
  s
    .split(/[,，]/)
    .map((x) => x.trim())
    .filter(Boolean)
