#!/usr/bin/env node
// Runs the browser suite (test/browser: Vitest + playwright-core + Debian Chromium) inside a
// private network namespace (scripts/in-netns.mjs); it fails where none can be made.
//
// Usage: node scripts/test-browser.mjs [vitest args, e.g. a file filter]
// Env: TABMESH_NETNS=off runs on the host on purpose (refused when CI is set); CHROMIUM_PATH overrides /usr/bin/chromium;
//      TABMESH_SKIP_BUILD=1 reuses dist/ and web/dist (quick local reruns).
import { fileURLToPath } from 'node:url';
import { runInNetns } from './in-netns.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
process.chdir(root);
process.exitCode = await runInNetns(process.execPath, [vitest, 'run', '--config', 'test/browser/vitest.config.ts', ...process.argv.slice(2)]);
