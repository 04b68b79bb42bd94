import { defineConfig } from 'vite';

// `npm run dev` proxies the gateway so the page can be served by Vite while a real
// server runs elsewhere (SPACETIME_URL, default http://127.0.0.1:8080).
const gateway = process.env['SPACETIME_URL'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/ws': { target: gateway, ws: true },
      '/api': { target: gateway },
    },
  },
});
