import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchTokenResponse } from './test-identity.ts';

export type Runtime = 'node' | 'deno';

export interface ServerProcess {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  /** The admin key printed on first start (zero config), or the one passed in env. */
  adminKey: string | undefined;
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Sends `signal` and resolves with the exit code (or null) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

const ROOT = new URL('../..', import.meta.url).pathname;

/** Starts a real server process (compiled Node entry or the Deno entry) on a random loopback port. */
export async function startServer(opts: {
  runtime?: Runtime; env?: Record<string, string>; dataDir?: string; timeoutMs?: number;
  /** The install to run (default: this checkout); test/deploy points it at a production install. */
  root?: string;
  /** Deno only: start through `deno task start` (deno.json), the way the docs tell operators. */
  denoTask?: boolean;
  /** Runs the server through another command (e.g. `unshare` for a private mount namespace). */
  wrap?: (cmd: string, args: string[]) => [string, string[]];
} = {}): Promise<ServerProcess> {
  const runtime = opts.runtime ?? 'node';
  const root = opts.root ?? ROOT;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tabmesh-test-'));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: '0', TABMESH_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...opts.env };
  const deno = join(ROOT, 'node_modules/.bin/deno');
  // The task runs `sh -c 'exec deno run …'`, so deno must be on PATH.
  if (opts.denoTask) env.PATH = `${join(ROOT, 'node_modules/.bin')}:${env.PATH}`;
  const [cmd, args] = runtime === 'node'
    ? [process.execPath, [join(root, 'dist/server/main.node.js')]]
    : opts.denoTask
      ? [deno, ['task', '--quiet', 'start']]
      : [deno, ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-write', '--allow-ffi', '--allow-sys', '--quiet', join(root, 'server/main.deno.ts')]];
  const [bin, argv] = opts.wrap ? opts.wrap(cmd, args) : [cmd, args];
  const proc = spawn(bin, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(...d.split('\n').filter(Boolean)));
  let scheme = 'http';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time; stderr: ${stderr.join('\n')}`)), opts.timeoutMs ?? 20_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout.push(...d.split('\n').filter(Boolean));
      const m = /listening on (https?):\/\/[^:]+:(\d+)/.exec(stdout.join('\n'));
      if (m) (clearTimeout(timer), (scheme = m[1]!), resolve(Number(m[2])));
    });
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`server exited with ${code}: ${stderr.join('\n')}`))));
  });
  const adminKey = /Admin key: (\S+)/.exec(stdout.join('\n'))?.[1] ?? opts.env?.TABMESH_API_KEYS?.match(/admin:([^:,]+)/)?.[1];
  return {
    // With TLS_CERT_FILE/TLS_KEY_FILE set the server speaks https/wss.
    url: `${scheme}://127.0.0.1:${port}`, wsUrl: `${scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${port}/ws`, port, dataDir, adminKey, proc, stdout, stderr, exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * Exchanges an API key (or device token) for a JWT via `POST /api/token`, proving the key of the
 * identity derived from `name` (test/helpers/test-identity.ts): the token's peer id is `idFor(name)`.
 */
export async function getToken(url: string, key: string, name: string): Promise<string> {
  return (await fetchTokenResponse(url, key, name)).token;
}

/** Calls a running server over real HTTP; returns the status and the parsed JSON body (if any). */
export async function api(
  server: { url: string },
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(server.url + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}
