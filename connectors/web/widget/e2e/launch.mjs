// The browser a widget script drives: the Go test process's shared one, or
// a chromium of its own (see workbench/ui/e2e/chromium.mjs, which the
// workbench's scripts use too).
import { chromium } from 'playwright-core'
import { open } from '../../../../workbench/ui/e2e/chromium.mjs'

export const launch = () => open(chromium)
