import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The build lands in ../webui/dist, which the Go binary embeds
// (workbench/ui.go); `npm run dev` proxies the API to a local `kefu serve`.
export default defineConfig({
  plugins: [vue()],
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
