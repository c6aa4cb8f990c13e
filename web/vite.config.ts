import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The agent desktop, supervisor console and admin screens: built into web/dist, which Teller
 * serves at `/` (src/api/web.ts). `npm run dev`-style work: `npx vite --config web/vite.config.ts`
 * proxies the API and the sockets to a Teller on TELLER_URL (default http://127.0.0.1:8080).
 */
const target = process.env.TELLER_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // antd is one large chunk shared by every screen; the screens themselves load lazily.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: {
      '/api': { target, ws: true },
      '/sip': { target, ws: true },
    },
  },
});
