import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIceUrl, stunBinding } from '../../headless-node/doctor/turn-probe.ts';

export interface Coturn {
  host: string;
  port: number;
  /** Address coturn allocates relay ports on. */
  relayIp: string;
  realm: string;
  /** `turn:HOST:PORT?transport=udp`, ready for TURN_URLS. */
  turnUrl: string;
  /** `stun:HOST:PORT` (coturn answers Binding requests too), ready for STUN_URLS. */
  stunUrl: string;
  /** Everything coturn logged so far (verbose). */
  logs: string[];
  /** Resolves with the first log line (already logged or future) matching `re` (a string: contains). */
  waitForLog(re: RegExp | string, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

export interface CoturnOptions {
  /** coturn `static-auth-secret`: set TURN_SECRET of the tabmesh server to the same value. */
  secret: string;
  realm?: string;
  listenIp?: string;
  /**
   * Defaults to 127.0.0.2, not the peers' 127.0.0.1: coturn permissions are per IP, so with one
   * shared address a peer's host socket may reach the other's relay address directly and ICE picks
   * a half-relayed host→relay pair. A separate relay address leaves relay↔relay the only path.
   */
  relayIp?: string;
  timeoutMs?: number;
}

/** A port free on both UDP and TCP (coturn listens on both); retries when TCP has it taken. */
async function freePort(host: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, host, () => resolve(udp.address().port));
    });
    udp.close();
    const tcp = createServer();
    const free = await new Promise<boolean>((resolve) => (tcp.once('error', () => resolve(false)), tcp.listen(port, host, () => resolve(true))));
    if (free) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      return port;
    }
    if (attempt >= 20) throw new Error(`no port free on both UDP and TCP at ${host} after ${attempt + 1} tries`);
  }
}

function spawnCoturn(opts: Required<Omit<CoturnOptions, 'timeoutMs'>>, port: number, dir: string): ChildProcess {
  // A random 200-port window keeps parallel test files from competing for the same relay ports.
  const minPort = 40_000 + Math.floor(Math.random() * 100) * 200;
  const args = [
    '-n', '-v', '--log-file=stdout', '--simple-log', '--no-cli', '--no-tls', '--no-dtls', '--fingerprint',
    `--listening-ip=${opts.listenIp}`, `--relay-ip=${opts.relayIp}`, `--listening-port=${port}`,
    `--min-port=${minPort}`, `--max-port=${minPort + 199}`,
    '--use-auth-secret', `--static-auth-secret=${opts.secret}`, `--realm=${opts.realm}`,
    '--allow-loopback-peers', '--no-multicast-peers',
    `--pidfile=${join(dir, 'turnserver.pid')}`, `--db=${join(dir, 'turndb')}`,
  ];
  return spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a real coturn (`turnserver`) on loopback with `use-auth-secret`; waits until it answers STUN. */
export async function startCoturn(options: CoturnOptions): Promise<Coturn> {
  const opts = { realm: 'tabmesh.test', listenIp: '127.0.0.1', relayIp: '127.0.0.2', ...options };
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-coturn-'));
    const port = await freePort(opts.listenIp);
    const proc = spawnCoturn(opts, port, dir);
    const logs: string[] = [];
    const watchers = new Set<(line: string) => void>();
    const onData = (d: Buffer) => {
      for (const line of d.toString('utf8').split('\n').filter(Boolean)) {
        logs.push(line);
        for (const w of watchers) w(line);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const kill = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(kill);
      }
      rmSync(dir, { recursive: true, force: true });
    })());
    const endpoint = parseIceUrl(`stun:${opts.listenIp}:${port}`)!;
    const ready = await Promise.race([
      stunBinding(endpoint, { bindAddress: opts.listenIp, timeoutMs: options.timeoutMs ?? 10_000 }).then((r) => r.ok),
      exited.then(() => false),
    ]);
    if (!ready) {
      lastError = new Error(`coturn did not answer on ${opts.listenIp}:${port}; log tail:\n${logs.slice(-15).join('\n')}`);
      await stop();
      continue;
    }
    const waitForLog = (pattern: RegExp | string, timeoutMs = 5000) => {
      const re = typeof pattern === 'string' ? { test: (l: string) => l.includes(pattern) } : pattern;
      const seen = logs.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => (watchers.delete(w), reject(new Error(`coturn logged nothing matching ${String(pattern)} within ${timeoutMs} ms; tail:\n${logs.slice(-10).join('\n')}`))), timeoutMs);
        const w = (line: string) => {
          if (re.test(line)) (clearTimeout(timer), watchers.delete(w), resolve(line));
        };
        watchers.add(w);
      });
    };
    return {
      host: opts.listenIp, port, relayIp: opts.relayIp, realm: opts.realm,
      turnUrl: `turn:${opts.listenIp}:${port}?transport=udp`, stunUrl: `stun:${opts.listenIp}:${port}`,
      logs, waitForLog, stop,
    };
  }
  throw lastError ?? new Error('coturn did not start');
}
