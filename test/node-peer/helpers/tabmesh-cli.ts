import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The real CLI entry (runs dist/, built by the vitest global setup). */
const BIN = new URL('../../../bin/tabmesh.js', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// A private HOME so nothing reads or writes the real ~/.tabmesh; one per test file is enough.
let home: string | undefined;
// TABMESH_TRACE: a command that hangs shows in its stderr which phase it was in.
const baseEnv = (env: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', HOME: (home ??= mkdtempSync(join(tmpdir(), 'tabmesh-home-'))), TABMESH_TRACE: '1', ...env });

/** `thread apply all bt` of a hung process (docs/development.md, the relay-only hang), or '' without gdb. */
function nativeStacks(pid: number | undefined): Promise<string> {
  if (pid === undefined) return Promise.resolve('');
  return new Promise((resolve) => {
    execFile('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt 20'], { timeout: 30_000, maxBuffer: 4 << 20 }, (err, out) => {
      resolve(err && !out ? '' : `\nnative stacks (gdb):\n${out.split('\n').filter((l) => /^(Thread|#)/.test(l)).join('\n')}`);
    });
  });
}

/** Runs `tabmesh …args` to completion; rejects (with its output) if it runs past `timeoutMs`. */
export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const proc = spawn(process.execPath, [BIN, ...args], { env: baseEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Where it hangs, for the next person: the native stacks of every thread (gdb, when present).
      void nativeStacks(proc.pid).then((stacks) => {
        proc.kill('SIGKILL');
        reject(new Error(`tabmesh ${args[0]} did not finish in ${opts.timeoutMs ?? 20_000} ms\nstdout: ${stdout}\nstderr: ${stderr}${stacks}`));
      });
    }, opts.timeoutMs ?? 20_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr.replace(/^\[trace \+\d+ ms\] .*\n/gm, '') });
    });
  });
}

/** A running `tabmesh node` process. */
export interface NodePeer {
  name: string;
  peerId: string;
  dataDir: string;
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first stderr/stdout line matching `pattern` (past or future). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `tabmesh node` on loopback and resolves once it printed that it joined. */
export async function startNodePeer(opts: {
  url: string; name: string; key?: string; args?: string[]; env?: Record<string, string>; dataDir?: string; timeoutMs?: number;
}): Promise<NodePeer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `tabmesh-${opts.name}-`));
  const args = ['node', '--url', opts.url, '--name', opts.name, '--data-dir', dataDir, '--bind-address', '127.0.0.1', ...(opts.key ? ['--key', opts.key] : []), ...(opts.args ?? [])];
  const proc = spawn(process.execPath, [BIN, ...args], { env: baseEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const onLines = (into: string[]) => (d: string) => {
    for (const line of d.split('\n').filter(Boolean)) {
      into.push(line);
      for (const w of waiters) if (w.pattern.test(line)) (waiters.delete(w), w.resolve(line));
    }
  };
  proc.stdout!.setEncoding('utf8').on('data', onLines(stdout));
  proc.stderr!.setEncoding('utf8').on('data', onLines(stderr));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const waitForLine = (pattern: RegExp, timeoutMs = 15_000) => {
    const seen = [...stdout, ...stderr].find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const w = { pattern, resolve: (l: string) => (clearTimeout(timer), resolve(l)) };
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`${opts.name}: no line matching ${pattern} in ${timeoutMs} ms\nstdout: ${stdout.join('\n')}\nstderr: ${stderr.join('\n')}`));
      }, timeoutMs);
      waiters.add(w);
      void exited.then((code) => {
        if (!waiters.has(w)) return;
        waiters.delete(w);
        clearTimeout(timer);
        reject(new Error(`${opts.name} exited with ${code} before printing ${pattern}\nstdout: ${stdout.join('\n')}\nstderr: ${stderr.join('\n')}`));
      });
    });
  };
  const joined = await waitForLine(/^joined mesh "[^"]+" as \S+/, opts.timeoutMs ?? 20_000);
  return {
    name: opts.name, peerId: /as (\S+)/.exec(joined)![1]!, dataDir, proc, stdout, stderr, exited, waitForLine,
    stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Starts two nodes with the given skills and resolves once the first has a DataChannel to the second. */
export async function startLinkedPair(url: string, key: string, skills: { front: string; back: string }): Promise<[NodePeer, NodePeer]> {
  const [front, back] = await Promise.all([
    startNodePeer({ url, key, name: 'front', args: ['--skills', skills.front] }),
    startNodePeer({ url, key, name: 'back', args: ['--skills', skills.back] }),
  ]);
  await front.waitForLine(new RegExp(`DataChannel to ${back.peerId} open`));
  return [front, back];
}
