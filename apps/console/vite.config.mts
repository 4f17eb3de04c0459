import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The console is served by the API under /console (same origin), so `base` is /console/. `npm run
 * console:dev` serves it with hot reload and forwards API calls to the API at CONSOLE_API_URL.
 */
const api = process.env['CONSOLE_API_URL'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  // Pure clinical rules the console runs itself, from libs/protocol (one file each, nothing else of the protocol).
  resolve: { alias: { '@care/protocol/vital-limits': fileURLToPath(new URL('../../libs/protocol/src/areas/dosing/vital-limits.ts', import.meta.url)) } },
  build: {
    outDir: '../../dist/apps/console',
    emptyOutDir: true,
    // No inline script anywhere (the API's Content-Security-Policy allows none).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: {
    port: 4200,
    proxy: Object.fromEntries(['/auth', '/courses', '/worklist', '/protocols', '/audit', '/integrations', '/openapi.json', '/health'].map((p) => [p, api])),
  },
});
