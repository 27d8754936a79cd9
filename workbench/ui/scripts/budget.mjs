// Fails the build when the agent bundle — the script index.html loads, what
// every agent downloads before the workbench shows — is over its gzipped
// budget. Everything else (console, reports, views opened later) is its own
// chunk and does not count.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'

const dist = new URL('../../webui/dist/', import.meta.url).pathname
const budget = 60 * 1024
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const src = html.match(/<script[^>]+src="\/([^"]+\.js)"/)?.[1]
if (!src) {
  console.error('budget: no script in index.html')
  process.exit(1)
}
const gz = gzipSync(readFileSync(join(dist, src)), { level: 9 }).length
const ok = gz <= budget
console.log(`agent bundle ${src}: ${gz} B gzipped, budget ${budget} B ${ok ? 'ok' : 'OVER BUDGET'}`)
if (!ok) process.exit(1)
