// The customer list's visibility rules (客户可见范围): the console page and
// its audit-log names. 简体中文 first, English second; they load with the
// console (its own chunk), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  sec_visibility: ['客户可见范围', 'Customer visibility'],
  noun_contact_visibility: ['客户可见范围', 'Customer visibility'],
  act_contact_visibility__update: ['修改客户可见范围', 'Changed the customer visibility rules'],
  vis_intro: ['默认：坐席看到自己负责的客户和自己接待过的客户；主管另外看到本组成员负责或接待的客户；管理员看到全部客户。以下规则放宽可见范围，保存后立即对客户列表、客户资料和导出生效。', 'By default an agent sees the customers they own and those they served; a supervisor also those owned or served by their groups’ members; admins see every customer. The rules below widen that; once saved they apply at once to the customer list, the customer card and the export.'],
  vis_agentsUnowned: ['坐席还可看到没有负责人的客户', 'Agents also see customers without an owner'],
  vis_agentsGroup: ['坐席还可看到同组成员负责的客户', 'Agents also see customers owned by members of their groups'],
  vis_supervisorsAll: ['主管可看到全部客户', 'Supervisors see every customer'],
  vis_save: ['保存', 'Save'],
  vis_saved: ['客户可见范围已保存', 'Customer visibility saved'],
  vis_loadFailed: ['无法读取客户可见范围：{err}', 'Could not load the customer visibility rules: {err}'],
} as const

addTexts(texts)

export type VisKey = keyof typeof texts | MessageKey

// vt translates a visibility text (or any text of the main table).
export const vt = (key: VisKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
