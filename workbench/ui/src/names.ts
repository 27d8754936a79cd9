// Agent names and faces for the timeline: who wrote each reply or note, and
// who handed a conversation over (after a transfer the agent must see who
// wrote what). Loaded once per session from GET /agents and GET /avatars.
import { reactive } from 'vue'
import { api, type Message } from './api'
import { t } from './i18n'

export const agentNames = reactive<Record<string, string>>({})
// agentFaces: each agent's avatar URL (none: their initials show)
export const agentFaces = reactive<Record<string, string>>({})
let loading: Promise<void> | null = null

export function loadAgentNames(force = false): Promise<void> {
  if (!loading || force)
    loading = Promise.all([api.agents(), api.avatars().catch(() => ({ avatars: {} }))])
      .then(([r, f]) => {
        for (const a of r.agents) agentNames[a.id] = a.name || a.email
        Object.assign(agentFaces, f.avatars)
      })
      .catch(() => {
        loading = null
      })
  return loading
}

// face is the avatar of a message's agent (undefined for anyone else).
export const face = (m: Pick<Message, 'sender_type' | 'sender_id'>) => (m.sender_type === 'agent' ? agentFaces[m.sender_id ?? ''] : undefined)

// sender is what a bubble's header says: the agent's name on replies and
// notes, 客户 / 系统 otherwise.
export function sender(m: Pick<Message, 'sender_type' | 'sender_id' | 'direction' | 'type'>): string {
  const name = m.sender_type === 'agent' ? agentNames[m.sender_id ?? ''] || t('agent') : ''
  if (m.type === 'transfer') return t('transferredBy', { name })
  if (m.direction === 'internal') return t('internalNote') + (name ? ' · ' + name : '')
  if (m.sender_type === 'agent') return name
  if (m.sender_type === 'robot') return t('robot')
  return t(m.sender_type === 'contact' ? 'customer' : 'system')
}

// sensitiveWordText is the notice of a qa.sensitive_word event: who sent
// which of the tenant's sensitive words (质检; admins and supervisors).
export async function sensitiveWordText(d: { agent_id?: string; words?: string[] } | undefined): Promise<string> {
  await loadAgentNames()
  return t('qaWordAlert', { name: agentNames[d?.agent_id ?? ''] || '', words: (d?.words ?? []).join('、') })
}
