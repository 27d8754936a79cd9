// Builds dist/: kefu.mjs (ES), kefu.cjs (CommonJS), kefu.iife.js (minified,
// global `Kefu`, for a <script> tag) and the .d.ts files, then fails when the
// core — the whole minified IIFE: client, browser and mini-program
// transports — is over its gzipped budget.
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { gzipSync } from 'node:zlib'
import { readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, 'dist')
const BUDGET = 8 * 1024
rmSync(dist, { recursive: true, force: true })

const common = {
  entryPoints: [join(here, 'src/index.ts')],
  bundle: true,
  target: 'es2019',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
}
await build({ ...common, format: 'esm', outfile: join(dist, 'kefu.mjs') })
await build({ ...common, format: 'cjs', outfile: join(dist, 'kefu.cjs') })
await build({ ...common, format: 'iife', globalName: 'Kefu', minify: true, outfile: join(dist, 'kefu.iife.js') })
execFileSync(process.execPath, [join(here, 'node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.build.json')], { stdio: 'inherit' })

const raw = readFileSync(join(dist, 'kefu.iife.js'))
const gz = gzipSync(raw, { level: 9 }).length
const ok = gz <= BUDGET
console.log(`core (kefu.iife.js) ${raw.length} B raw  ${gz} B gzipped  budget ${BUDGET} B  ${ok ? 'ok' : 'OVER BUDGET'}`)
if (!ok) {
  console.error('app sdk build: the core is over its gzipped size budget')
  process.exit(1)
}
