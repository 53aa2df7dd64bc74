import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { precompress } from './precompress-plugin.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Builds the hub (web/index.html + web/hub) into web/dist, which the server serves at `/`.
 * Hashed files land in /assets/ (cached for a year by server/hub-static.ts); the service worker
 * and manifest stay at the root so they are always revalidated.
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
  plugins: [
    preact({ devtoolsInProd: false, prefreshEnabled: false }),
    VitePWA({
      registerType: 'autoUpdate',
      // Registered by web/hub/service-worker.ts: keeps workbox-window out of the initial bundle.
      injectRegister: false,
      filename: 'sw.js',
      manifestFilename: 'manifest.webmanifest',
      includeAssets: ['icons/icon.svg', 'icons/apple-touch-icon.png'],
      manifest: {
        name: 'tabmesh hub',
        short_name: 'tabmesh',
        description: 'Open this page and your tab joins the agent mesh.',
        id: '/',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#0d1b24',
        theme_color: '#0b4f6c',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
        ],
      },
      workbox: {
        // The 512 px icons only matter at install time; keep them out of the offline cache.
        globPatterns: ['**/*.{js,css,html,webmanifest}', 'icons/icon.svg', 'icons/icon-192.png', 'icons/apple-touch-icon.png'],
        navigateFallback: '/index.html',
        // The control plane, signaling, the browser library and its examples never come from the hub's cache.
        navigateFallbackDenylist: [/^\/api\//, /^\/ws$/, /^\/(health|ready|metrics)$/, /^\/examples\//, /^\/lib\//],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
    precompress(fileURLToPath(new URL('dist', import.meta.url))),
  ],
});
