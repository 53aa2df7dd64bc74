import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The browser suite: real Chromium (playwright-core) against a real server. Run it through
 * `node scripts/test-browser.mjs` (part of `npm test`), which puts it in a private network
 * namespace. Files run one at a time: each holds a Chromium and several peers on two cores.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/browser/global-setup.ts'],
    // Several sequential mesh waits (MESH_WAIT_MS each) per test on two shared cores.
    testTimeout: 150_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
