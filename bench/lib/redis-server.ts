import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.ts';

export interface RedisOptions {
  /** Keep data across `restart` (append-only file in this directory, fsync on every write). */
  persistDir?: string;
}

export interface RedisProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
  /** Starts a fresh redis-server on the same port (after `stop`), for outage tests. */
  restart(): Promise<RedisProcess>;
}

/** Starts a real redis-server on 127.0.0.1 (random port, no persistence unless asked); resolves when ready. */
export async function startRedis(port?: number, opts: RedisOptions = {}): Promise<RedisProcess> {
  const p = port ?? (await freePort());
  const persistence = opts.persistDir
    ? ['--dir', opts.persistDir, '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const proc = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', ...persistence, '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server not ready: ${out}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) (clearTimeout(timer), resolve());
    });
    proc.once('error', (err) => (clearTimeout(timer), reject(err)));
    void exited.then(() => (clearTimeout(timer), reject(new Error(`redis-server exited: ${out}`))));
  });
  const self: RedisProcess = {
    url: `redis://127.0.0.1:${p}`, port: p, proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
    restart: () => startRedis(p, opts),
  };
  return self;
}
