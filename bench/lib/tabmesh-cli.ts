import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './child-process.ts';

const BIN = join(ROOT, 'bin/tabmesh.js');
const env = () => ({ PATH: process.env.PATH ?? '', HOME: tmpdir() });

/** Runs `tabmesh …args` (or, `bare`, `node …args`); resolves with the wall time, rejects on a non-zero exit. */
export function timeCli(args: string[], bare = false): Promise<number> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, bare ? args : [BIN, ...args], { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => proc.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`tabmesh ${args[0]} exited ${code}: ${stderr}`)))));
}

/** A running `tabmesh node` with its own data dir; resolves with its peer id once joined. */
export async function startTabmeshNode(o: { url: string; key: string; name: string; skills: string; bindAddress: string }) {
  const dataDir = mkdtempSync(join(tmpdir(), `tm-bench-${o.name}-`));
  const proc = spawn(process.execPath, [BIN, 'node', '--url', o.url, '--key', o.key, '--name', o.name, '--skills', o.skills, '--data-dir', dataDir, '--bind-address', o.bindAddress], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const peerId = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${o.name} did not join: ${out}`)), 30_000);
    const onData = (d: string) => {
      out += d;
      const m = /joined mesh "[^"]+" as (\S+)/.exec(out);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    };
    proc.stdout.setEncoding('utf8').on('data', onData);
    proc.stderr.setEncoding('utf8').on('data', onData);
    void exited.then(() => reject(new Error(`node ${o.name} exited: ${out}`)));
  });
  return {
    peerId, dataDir,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
