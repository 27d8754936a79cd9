// Builds widget.js (the loader) and chat.js (the chat UI) into
// ../assets/dist/ and fails when either is over its gzipped size budget.
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, '..', 'assets', 'dist')
mkdirSync(out, { recursive: true })

const bundles = [
  { entry: 'src/loader.ts', file: 'widget.js', budget: 5 * 1024 },
  { entry: 'src/chat.ts', file: 'chat.js', budget: 40 * 1024 },
]
for (const b of bundles) {
  await build({
    entryPoints: [join(here, b.entry)],
    outfile: join(out, b.file),
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2019',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
  })
}

let over = false
for (const b of bundles) {
  const raw = readFileSync(join(out, b.file))
  const gz = gzipSync(raw, { level: 9 }).length
  const ok = gz <= b.budget
  if (!ok) over = true
  console.log(`${b.file.padEnd(10)} ${String(raw.length).padStart(7)} B raw  ${String(gz).padStart(6)} B gzipped  budget ${b.budget} B  ${ok ? 'ok' : 'OVER BUDGET'}`)
}
if (over) {
  console.error('widget build: a bundle is over its gzipped size budget')
  process.exit(1)
}
