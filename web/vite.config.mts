// Vite build of the memq web UI (React 19, JSX through Vite's built-in transform: no plugin, no
// network). `npm run build:web` writes web/dist, which `memq serve` serves.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      // lucide-react marks its modules "use client" (for React Server Components): meaningless in this
      // client-only bundle, so the bundler's notice about dropping it is noise
      onwarn(w, warn) {
        if (w.code !== 'MODULE_LEVEL_DIRECTIVE') warn(w);
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
