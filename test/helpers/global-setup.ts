import { spawnSync } from 'node:child_process';

/**
 * Compiles dist/ once so tests run the same JS that `npm start` and the CLI run. A type error
 * fails the run (tests against code that does not type-check prove little); `npm test` has
 * already type-checked everything, tests and hub and Deno entry included (`npm run typecheck`).
 */
export default function setup(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json reported type errors:\n${r.stdout.split('\n').slice(0, 20).join('\n')}`);
}
