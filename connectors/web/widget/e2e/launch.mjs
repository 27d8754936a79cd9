// The browser a widget script drives: the Go test process's shared one
// when it has one (KEFU_BROWSER_WS, started by e2e/kit; connecting costs
// about half the CPU of launching), else a chromium of its own.
import { chromium } from 'playwright-core'

export async function launch() {
  if (process.env.KEFU_BROWSER_WS) {
    return chromium.connect(process.env.KEFU_BROWSER_WS, { timeout: 60000 })
  }
  return chromium.launch({
    executablePath: process.env.KEFU_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}
