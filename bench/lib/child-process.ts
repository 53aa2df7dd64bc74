import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRpcClient, type RpcClient } from './ipc-rpc.ts';
import { openFileLimit } from './proc-stats.ts';

/** Repository root, from dist/bench/lib/ (compiled) — where `npm run bench` runs this file. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface NodeChild extends RpcClient {
  proc: ChildProcess;
  pid: number;
  /** The last stderr lines, for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs` (2000); resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface NodeChildOptions {
  /** Script path relative to the repository root (a compiled .js file). */
  script: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** Open files the child needs; its soft `ulimit -n` is raised to this when lower. */
  fdLimit?: number;
  /** Pins the child to this CPU with `taskset` (ignored where taskset is missing). */
  cpu?: number;
  /** Resolve once stdout matches this (e.g. a "listening on" banner); otherwise wait for `serveRpc`. */
  readyPattern?: RegExp;
  timeoutMs?: number;
}

let taskset: boolean | undefined;
const hasTaskset = () => (taskset ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0);

/** Starts a Node child with an IPC channel and waits until it is ready; returns the ready match too. */
export async function startNodeChild(opts: NodeChildOptions): Promise<{ child: NodeChild; match: RegExpExecArray | undefined }> {
  const argv = [
    ...(opts.cpu !== undefined && hasTaskset() ? ['taskset', '-c', String(opts.cpu)] : []),
    process.execPath, ...(opts.nodeArgs ?? []), opts.script,
  ];
  // Node cannot raise its own rlimit; a shell can, then exec keeps the same pid and IPC fd.
  if ((opts.fdLimit ?? 0) > openFileLimit()) argv.unshift('sh', '-c', `ulimit -n ${opts.fdLimit} && exec "$0" "$@"`);
  const proc = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const stderr: string[] = [];
  const stdout: string[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(d);
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const rpc = createRpcClient(proc);
  const stderrTail = () => stderr.join('').split('\n').slice(-20).join('\n');
  let match: RegExpExecArray | undefined;
  const ready = opts.readyPattern
    ? new Promise<void>((resolve) => {
        proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
          stdout.push(d);
          match ??= opts.readyPattern!.exec(stdout.join('')) ?? undefined;
          if (match) resolve();
        });
      })
    : (proc.stdout!.resume(), rpc.ready);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    ready,
    exited.then(() => { throw new Error(`${opts.script} exited before it was ready:\n${stderrTail()}`); }),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${opts.script} not ready within ${opts.timeoutMs ?? 20_000} ms:\n${stderrTail()}`)), opts.timeoutMs ?? 20_000))),
  ]).finally(() => clearTimeout(timer));
  const child: NodeChild = {
    ...rpc, proc, pid: proc.pid!, stderrTail,
    async stop(graceMs = 2000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(kill);
    },
  };
  return { child, match };
}
