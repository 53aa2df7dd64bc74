import { execFileSync } from 'node:child_process';
import buildDist from '../helpers/global-setup.ts';

/**
 * Builds what the browser suite serves: dist/ (server, Node peer; shared setup) and web/dist
 * (the hub, the browser library and its example). TABMESH_SKIP_BUILD=1 reuses the existing builds (for quick local reruns only).
 */
export default function setup(): void {
  if (process.env.TABMESH_SKIP_BUILD === '1') return;
  buildDist();
  // NODE_ENV=production as `npm install` builds it: Vitest sets `test`, which makes the Preact
  // preset bundle preact/debug and the JS budget test would weigh a build nobody serves.
  const env = { ...process.env, NODE_ENV: 'production' };
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit', env });
  // The browser library (after the hub: the hub's build empties web/dist): /lib/tabmesh.js, its
  // size record, /examples/browser-library/ and its .d.ts files (as `npm run build:lib`).
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/lib/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit', env });
  execFileSync('node_modules/.bin/tsc', ['-p', 'web/lib/tsconfig.types.json'], { stdio: 'inherit' });
}
