// One headless chromium shared by a Go test process's browser scripts
// (e2e/kit starts it; its scripts connect with KEFU_BROWSER_WS): prints the
// browser's websocket endpoint, then serves until its stdin closes, which
// it does when the test process exits, however it exits.
import { chromium } from 'playwright-core'
import { launchOptions } from './chromium.mjs'

const server = await chromium.launchServer(launchOptions)
console.log(server.wsEndpoint())
const stop = () => server.close().finally(() => process.exit(0))
process.stdin.on('end', stop)
process.stdin.on('error', stop)
process.stdin.resume()
