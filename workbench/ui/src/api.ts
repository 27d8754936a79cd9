// REST client for the documented /api/v1 surface. The session token lives
// in sessionStorage: it dies with the tab and is never sent as a cookie.
const TOKEN_KEY = 'kefu.token'

export interface Agent {
  id: string
  name: string
  email: string
  role: string
  status: string
}
export interface Contact {
  id: string
  name: string
  external_id: string
}
export interface Conversation {
  id: string
  channel_id: string
  status: string
  assignee_id: string | null
  last_seq: number
  updated_at: string
  last_message_at?: string
  contact?: Contact
}
export interface Message {
  id: string
  conversation_id: string
  seq: number
  direction: string
  sender_type: string
  type: string
  text: string
  status: string
  client_id?: string
  created_at: string
}

export class APIError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message)
  }
}

export function getToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) || ''
}
export function setToken(tok: string) {
  if (tok) sessionStorage.setItem(TOKEN_KEY, tok)
  else sessionStorage.removeItem(TOKEN_KEY)
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  const tok = getToken()
  if (tok) headers['Authorization'] = 'Bearer ' + tok
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch('/api/v1' + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = await res.json().catch(() => ({}))
  if (!res.ok) {
    const e = data?.error ?? {}
    throw new APIError(res.status, e.code ?? 'http_' + res.status, e.message ?? res.statusText)
  }
  return data as T
}

export const api = {
  login: (email: string, password: string) =>
    call<{ token: string; agent: Agent }>('POST', '/auth/login', { email, password }),
  logout: () => call('POST', '/auth/logout'),
  me: () => call<Agent>('GET', '/me'),
  setStatus: (status: string) => call<{ status: string }>('PUT', '/me/status', { status }),
  conversations: () => call<{ conversations: Conversation[] }>('GET', '/conversations?limit=200'),
  conversation: (id: string) => call<Conversation>('GET', '/conversations/' + encodeURIComponent(id)),
  messages: (id: string, afterSeq = 0) =>
    call<{ messages: Message[] }>(
      'GET',
      `/conversations/${encodeURIComponent(id)}/messages?after_seq=${afterSeq}&limit=500`,
    ),
  reply: (id: string, content: string, clientMessageId: string) =>
    call<Message>('POST', `/conversations/${encodeURIComponent(id)}/messages`, {
      content,
      client_message_id: clientMessageId,
    }),
  close: (id: string) => call<Conversation>('POST', `/conversations/${encodeURIComponent(id)}/close`, {}),
}
