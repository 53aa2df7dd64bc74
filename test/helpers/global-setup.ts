import { spawnSync } from 'node:child_process';

/**
 * Compiles dist/ once so tests run the same JS that `npm start` and the CLI run. Type errors do
 * not stop the emit (type checking is its own step, `npm run typecheck`); a missing compiler does.
 */
export default function setup(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) console.warn(`tsc reported type errors (emit continued):\n${r.stdout.split('\n').slice(0, 10).join('\n')}`);
}
