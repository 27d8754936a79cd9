import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

// The agent bundle carries the 简体中文 column of src/i18n.ts only: the
// English column, like the 繁體中文 one, is its own chunk
// (src/i18n-en.gen.ts, written by scripts/zh-tw.mjs), fetched only by
// English readers. Tests and the dev server keep both columns.
function zhOnly(): Plugin {
  const entry = /^( {2}\w+: \[)('(?:[^'\\]|\\.)*'), '(?:[^'\\]|\\.)*'\],$/gm
  return {
    name: 'i18n-zh-only',
    apply: 'build',
    enforce: 'pre', // on the TypeScript source, before it is compiled
    transform(code, id) {
      if (id.endsWith('/src/i18n.ts')) return { code: code.replace(entry, '$1$2],'), map: null }
    },
  }
}

// The build lands in ../webui/dist, which the Go binary embeds
// (workbench/ui.go); `npm run dev` proxies the API to a local `kefu serve`.
export default defineConfig({
  plugins: [vue(), zhOnly()],
  build: {
    outDir: '../webui/dist', // relative to this folder
    emptyOutDir: true,
    // No inline scripts or styles: the app runs under a strict CSP.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
})
