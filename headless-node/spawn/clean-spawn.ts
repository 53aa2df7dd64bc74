import { existsSync } from 'node:fs';

const LAUNCHER = new URL('./clean-exec.js', import.meta.url).pathname;

/**
 * The command line that runs `command args` without the descriptors this process holds (see
 * clean-exec.ts). Every child a peer spawns goes through it. Needs the compiled launcher
 * (dist/, what `tabmesh` runs); from TypeScript sources it is not there and this throws.
 */
export function cleanSpawnArgs(command: string, args: readonly string[]): { command: string; args: string[] } {
  if (!existsSync(LAUNCHER)) throw new Error(`clean-exec launcher missing at ${LAUNCHER} (run the compiled dist/ build)`);
  return { command: process.execPath, args: [LAUNCHER, command, ...args] };
}
