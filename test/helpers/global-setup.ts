import { execFileSync } from 'node:child_process';

/** Compiles dist/ once so tests run the same JS that `npm start` and the CLI run. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
