// How the browser tests start Debian's headless chromium: by a script of
// its own (browser.mjs, run alone) or once for a whole Go test process
// (server.mjs).
export const launchOptions = {
  executablePath: process.env.KEFU_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
}
