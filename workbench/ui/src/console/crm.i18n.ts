// The customer center's and the ticket workflow's texts, 简体中文 first,
// English second: they load with the customers and tickets pages (their own
// chunks), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  crm_search: ['搜索姓名、电话、邮箱、公司、QQ、微信、标签…', 'Search name, phone, email, company, QQ, WeChat, tags…'],
  crm_searchBtn: ['搜索', 'Search'],
  crm_allOwners: ['全部负责人', 'Any owner'],
  crm_mine: ['我负责的', 'Mine'],
  crm_noOwner: ['无负责人', 'No owner'],
  crm_allSources: ['全部来源', 'Any source'],
  crm_manual: ['手动录入', 'Entered by hand'],
  crm_tag: ['标签', 'Tag'],
  crm_contactedFrom: ['最近联系起', 'Contacted from'],
  crm_contactedTo: ['最近联系止', 'Contacted to'],
  crm_sortNew: ['最新创建', 'Newest'],
  crm_sortOld: ['最早创建', 'Oldest'],
  crm_sortUpdated: ['最近修改', 'Recently changed'],
  crm_sortName: ['按姓名', 'By name'],
  crm_new: ['新建客户', 'New customer'],
  crm_edit: ['编辑客户', 'Edit customer'],
  crm_name: ['姓名', 'Name'],
  crm_phone: ['电话', 'Phone'],
  crm_email: ['邮箱', 'Email'],
  crm_company: ['公司', 'Company'],
  crm_owner: ['负责人', 'Owner'],
  crm_tagsHint: ['标签（用逗号分隔）', 'Tags (comma-separated)'],
  crm_notes: ['备注', 'Notes'],
  crm_save: ['保存', 'Save'],
  crm_cancel: ['取消', 'Cancel'],
  crm_saved: ['已保存', 'Saved'],
  crm_created: ['创建时间', 'Created'],
  crm_empty: ['没有符合条件的客户。', 'No customers match.'],
  crm_emptyAll: ['还没有客户。客户来访或手动新建后会出现在这里。', 'No customers yet. They appear when they write, or when you add one.'],
  crm_failed: ['无法加载客户：{msg}', 'Could not load the customers: {msg}'],
  crm_more: ['加载更多', 'Load more'],
  crm_needIdentity: ['请填写姓名、电话或邮箱。', 'Fill in a name, phone or email.'],
  crm_newTicket: ['新建工单', 'New ticket'],
  tk_subject: ['主题', 'Subject'],
  tk_customer: ['客户', 'Customer'],
  tk_pickCustomer: ['搜索并选择客户', 'Search and pick a customer'],
  tk_priority: ['优先级', 'Priority'],
  tk_type: ['类型', 'Type'],
  tk_due: ['截止时间', 'Due'],
  tk_create: ['创建工单', 'Create ticket'],
  tk_created: ['工单已创建', 'Ticket created'],
  tk_reopen: ['重新打开', 'Reopen'],
  tk_setStatus: ['状态', 'Status'],
  tk_new: ['新建', 'New'],
  tk_closed: ['已关闭', 'Closed'],
  tk_prio_low: ['低', 'Low'],
  tk_prio_normal: ['普通', 'Normal'],
  tk_prio_high: ['高', 'High'],
  tk_prio_urgent: ['紧急', 'Urgent'],
  tk_view_mine: ['我的工单', 'Mine'],
  tk_view_unassigned: ['未分配', 'Unassigned'],
  tk_view_overdue: ['已超时', 'Overdue'],
  tk_view_all: ['全部工单', 'All'],
  tk_badMove: ['工单不能从“{from}”改为“{to}”。', 'A ticket cannot go from “{from}” to “{to}”.'],
  tk_fromConversation: ['来自会话 {id}', 'From conversation {id}'],
} as const

addTexts(texts)

export type CrmKey = keyof typeof texts | MessageKey

// ct translates a customer-center text (or any text of the main table).
export const ct = (key: CrmKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
