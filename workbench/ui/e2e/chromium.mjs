// How the browser tests get Debian's headless chromium — the workbench's
// scripts (browser.mjs, server.mjs) and the widget's
// (connectors/web/widget/e2e/launch.mjs). It takes the caller's playwright
// `chromium`, so each package uses the playwright-core it installed.
export const launchOptions = {
  executablePath: process.env.KEFU_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
}

// open connects to the Go test process's shared browser when it has one
// (KEFU_BROWSER_WS, server.mjs started by e2e/kit; connecting costs about
// half the CPU of launching), else launches a chromium of the script's own.
export function open(chromium, slow = 1) {
  const ws = process.env.KEFU_BROWSER_WS
  return ws ? chromium.connect(ws, { timeout: 60000 * slow }) : chromium.launch(launchOptions)
}
