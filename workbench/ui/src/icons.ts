// The workbench's icons: Lucide's (ISC), drawn from their node lists so only
// the icons named here reach the bundle, as inline SVG (no icon font, no
// inline style: the strict CSP holds). Icon renders one; a label makes it an
// image with that name, without one it is decoration beside a text.
import { h, reactive, type FunctionalComponent } from 'vue'
import type { IconNode } from 'lucide'
export {
  MessageSquare as IconChats,
  Users as IconVisitors,
  Ticket as IconTickets,
  Contact as IconCustomers,
  History as IconHistory,
  Settings as IconSettings,
  Activity as IconMonitor,
  LayoutDashboard as IconConsole,
  LogOut as IconLogout,
  Send as IconSend,
  Paperclip as IconAttach,
  Smile as IconEmoji,
  MessageSquareText as IconCanned,
  ArrowRightLeft as IconTransfer,
  Star as IconRating,
  Ban as IconBlock,
  CircleX as IconClose,
  ChevronLeft as IconBack,
  Inbox as IconEmpty,
} from 'lucide'

export const Icon: FunctionalComponent<{ icon: IconNode; size?: number; label?: string }> = (p) =>
  h(
    'svg',
    {
      class: 'icon',
      width: p.size ?? 16,
      height: p.size ?? 16,
      viewBox: '0 0 24 24',
      fill: 'none',
      stroke: 'currentColor',
      'stroke-width': 2,
      'stroke-linecap': 'round',
      'stroke-linejoin': 'round',
      role: p.label ? 'img' : undefined,
      'aria-label': p.label,
      'aria-hidden': p.label ? undefined : 'true',
    },
    p.icon.map(([tag, attrs]) => h(tag, attrs)),
  )
Icon.props = ['icon', 'size', 'label']

// initials is what an avatar shows for a name: the last two characters of a
// Chinese name (as 钉钉 and 企业微信 do: 张小明 → 小明), else the first
// letters of its first two words (Li Lei → LL, li@shop.cn → L).
export function initials(name: string): string {
  const s = name.trim().replace(/@.*$/, '')
  const han = s.match(/[\u3400-\u9fff]+/g)
  if (han) {
    const w = han[han.length - 1]
    return w.slice(-2)
  }
  const words = s.split(/[\s._-]+/).filter((w) => /^[\p{L}\p{N}]/u.test(w))
  return words
    .slice(0, 2)
    .map((w) => w[0].toUpperCase())
    .join('') || '?'
}

// hue picks one of eight avatar colours from the name, the same every time.
export function hue(name: string): number {
  let h = 0
  for (const c of name) h = (h * 31 + c.codePointAt(0)!) >>> 0
  return h % 8
}

// Avatar is a person's picture (src), else — also when the picture fails
// to load — their initials on a colour of their own; the name itself is
// shown beside it, so it is decoration.
const broken = reactive(new Set<string>())
export const Avatar: FunctionalComponent<{ name: string; size?: 'sm' | 'md'; src?: string }> = (p) =>
  p.src && !broken.has(p.src)
    ? h('img', { class: ['avatar', p.size ?? 'md'], src: p.src, alt: '', 'aria-hidden': 'true', onError: () => broken.add(p.src!) })
    : h('span', { class: ['avatar', p.size ?? 'md'], 'data-hue': hue(p.name), 'aria-hidden': 'true' }, initials(p.name))
Avatar.props = ['name', 'size', 'src']
