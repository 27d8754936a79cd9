// The knowledge base's versions (修改记录) and spreadsheet texts, 简体中文
// first, English second: they load with the knowledge-base page (its own
// chunk), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  kv_button: ['历史版本', 'Versions'],
  kv_title: ['历史版本：{q}', 'Versions: {q}'],
  kv_hint: ['每次保存（新建、编辑、导入、恢复）都会保留一个版本；恢复旧版本本身也是一个新版本，可以再撤销。', 'Every save (create, edit, import, restore) keeps a version; restoring an old one is itself a new version, so it can be undone.'],
  kv_loading: ['正在加载历史版本…', 'Loading the versions…'],
  kv_failed: ['无法加载历史版本：{msg}', 'Could not load the versions: {msg}'],
  kv_empty: ['还没有历史版本。', 'No versions yet.'],
  kv_version: ['版本 {n}', 'Version {n}'],
  kv_current: ['当前', 'Current'],
  kv_create: ['新建', 'Created'],
  kv_update: ['编辑', 'Edited'],
  kv_import: ['导入', 'Imported'],
  kv_restore: ['恢复', 'Restored'],
  kv_by: ['操作人：{name}', 'By {name}'],
  kv_unknown: ['未知', 'unknown'],
  kv_changed: ['改动：{fields}', 'Changed: {fields}'],
  kv_restoreBtn: ['恢复此版本', 'Restore this version'],
  kv_restoreConfirm: ['把这条知识恢复为版本 {n}？', 'Restore this article to version {n}?'],
  kv_restored: ['已恢复为版本 {n}', 'Restored to version {n}'],
  kv_close: ['关闭', 'Close'],
  kv_f_question: ['标准问题', 'question'],
  kv_f_similar: ['相似问法', 'similar questions'],
  kv_f_answer: ['答案', 'answer'],
  kv_f_category: ['分类', 'category'],
  kv_f_tags: ['标签', 'tags'],
  kv_f_channels: ['渠道', 'channels'],
  kv_f_enabled: ['启用状态', 'enabled'],
  kv_f_valid_from: ['生效时间', 'valid from'],
  kv_f_valid_to: ['失效时间', 'valid to'],
  kv_f_rich: ['富文本格式', 'rich formatting'],
  kv_rich: ['富文本答案', 'Rich answer'],
  kb_exportXLSX: ['导出 Excel', 'Export Excel'],
  kb_importAny: ['导入 CSV / Excel', 'Import CSV / Excel'],
  kb_helpCentre: ['在挂件中显示帮助中心', 'Show the help centre in the widget'],
  kb_helpCentreHint: ['公开本渠道适用且已启用、在有效期内的知识库文章，访客无需登录即可浏览和搜索。', 'Publishes the enabled, currently valid knowledge-base articles of this channel; visitors browse and search them without signing in.'],
  kb_helpCentreOpen: ['打开帮助中心', 'Open the help centre'],
  setup_help_url: ['帮助中心链接', 'Help centre link'],
} as const

addTexts(texts)

export type KBKey = keyof typeof texts | MessageKey

// kt translates a knowledge-base text (or any text of the main table).
export const kt = (key: KBKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
