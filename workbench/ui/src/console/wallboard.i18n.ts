// The wallboard's texts (大屏), 简体中文 first, English second: they load with
// the page (its own chunk), not with the agent bundle.
import { addTexts, t, type MessageKey } from '../i18n'

const texts = {
  wb_title: ['客服大屏', 'Service wallboard'],
  wb_fullscreen: ['全屏', 'Full screen'],
  wb_queue: ['排队中', 'Waiting'],
  wb_longest: ['最长等待', 'Longest wait'],
  wb_online: ['在线客服', 'Agents online'],
  wb_chatting: ['进行中会话', 'Chats in progress'],
  wb_today: ['今日会话', 'Conversations today'],
  wb_answerRate: ['今日接通率', 'Answered today'],
  wb_frt: ['今日平均首次响应', 'First response today'],
  wb_satisfaction: ['今日满意率', 'Satisfaction today'],
  wb_tickets: ['未处理工单', 'Open tickets'],
  wb_agents: ['客服状态', 'Agents'],
  wb_noAgents: ['还没有客服账号。', 'No agents yet.'],
  wb_chats: ['会话 {n}/{max}', 'Chats {n}/{max}'],
  wb_todayChats: ['今日 {n}', 'Today {n}'],
  wb_updated: ['更新于 {time}', 'Updated {time}'],
  wb_loadFailed: ['数据加载失败：{err}（稍后自动重试）', 'Could not load: {err} (retrying)'],
} as const

addTexts(texts)

export type WallboardKey = keyof typeof texts | MessageKey

// wt translates a wallboard text (or any text of the main table).
export const wt = (key: WallboardKey, vars: Record<string, string> = {}) => t(key as MessageKey, vars)
