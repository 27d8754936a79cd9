// The tickets page's custom fields and saved views (已保存的视图), 简体中文
// first, English second: they load with the tickets page and the console.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  tv_fields: ['工单字段', 'Ticket fields'],
  tv_saveFields: ['保存字段', 'Save fields'],
  tv_fieldsSaved: ['字段已保存', 'Fields saved'],
  tv_noFields: ['管理员还没有定义工单字段。', 'No ticket fields defined yet.'],
  tv_search: ['搜索主题或工单号', 'Search subject or ticket id'],
  tv_anyPriority: ['全部优先级', 'Any priority'],
  tv_anyGroup: ['全部技能组', 'Any group'],
  tv_noGroup: ['无技能组', 'No group'],
  tv_type: ['类型', 'Type'],
  tv_anyType: ['全部类型', 'Any type'],
  tv_group: ['技能组', 'Group'],
  tv_missing: ['缺少必填字段：{fields}。填写后才能解决或关闭工单。', 'Required fields missing: {fields}. Fill them in before solving or closing the ticket.'],
  tv_missingShort: ['缺必填字段', 'Fields missing'],
  err_ticket_fields_required: ['请先填写必填字段：{labels}', 'Fill in the required fields first: {labels}'],
  tv_field: ['按字段筛选', 'Filter by field'],
  tv_value: ['字段值', 'Field value'],
  tv_apply: ['筛选', 'Filter'],
  tv_saveView: ['保存为视图', 'Save as view'],
  tv_viewName: ['视图名称', 'View name'],
  tv_share: ['共享给团队', 'Share with the team'],
  tv_save: ['保存', 'Save'],
  tv_cancel: ['取消', 'Cancel'],
  tv_rename: ['重命名', 'Rename'],
  tv_delete: ['删除视图', 'Delete view'],
  tv_confirmDelete: ['删除视图“{name}”？工单不受影响。', 'Delete the view “{name}”? No ticket changes.'],
  tv_shared: ['共享', 'Shared'],
  tv_saved: ['已保存的视图', 'Saved views'],
  tv_viewSaved: ['视图已保存', 'View saved'],
  tv_more: ['{n}+', '{n}+'],
  tv_cf_ticket: ['工单自定义字段', 'Ticket custom fields'],
  tv_cf_contact: ['客户字段', 'Customer fields'],
  tv_cf_tickets: ['工单字段', 'Ticket fields'],
  tv_cf_ticketIntro: ['在这里定义的字段会出现在新建工单和工单详情中，客服填写时按类型校验，工单列表可按字段筛选。', 'Fields defined here show on the new-ticket form and the ticket; what agents enter is checked by type, and the ticket list filters by them.'],
} as const

addTexts(texts)

export type TktKey = keyof typeof texts | MessageKey

// tv translates a text of the tickets page's fields and views.
export const tv = (key: TktKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
