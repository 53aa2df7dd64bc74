import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createSqliteStore } from '../../server/store/sqlite-store.ts';

const FIXTURE = new URL('./fixtures/write-batch.mjs', import.meta.url).pathname;

/** Starts the writer, waits for `killAfter` acknowledgements, SIGKILLs it; resolves with the last ack. */
function writeAndKill(file: string, killAfter: number): Promise<number> {
  const child = spawn(process.execPath, [FIXTURE, file, '1000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = -1;
  let buf = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`writer too slow: ${last} acks; ${err}`))), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith('ack ')) last = Number(l.slice(4));
      if (last + 1 >= killAfter && child.signalCode === null) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Acks still in the pipe when the kill landed were written before it: count them too.
      for (const l of buf.split('\n')) if (l.startsWith('ack ')) last = Number(l.slice(4));
      if (signal !== 'SIGKILL') reject(new Error(`writer exited ${code} before the kill: ${err}`));
      else resolve(last);
    });
  });
}

it('embedded store: SIGKILL in the middle of a batch of writes loses no acknowledged write, doubles none, half-writes none', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tabmesh-crash-')), 'tabmesh.db');
  let acked = 0;
  // Two rounds on the same file: the second one starts over a file recovered from a crash.
  for (const killAfter of [400, 900]) {
    const last = await writeAndKill(file, killAfter);
    expect(last + 1).toBeGreaterThanOrEqual(killAfter);
    const store = createSqliteStore(file, { sweepIntervalMs: 0 });
    const rows = await store.list<{ i: number; body: string; sum: string }>('batch');
    const ids = rows.map((r) => r.i).sort((a, b) => a - b);
    // Every acknowledged step is there; at most the one in flight at the kill is there too.
    expect(ids.length === last + 1 || ids.length === last + 2, `${ids.length} rows for ${last + 1} acks`).toBe(true);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i));
    for (const r of rows) expect(createHash('sha256').update(r.body).digest('hex'), `row ${r.i}`).toBe(r.sum);
    const count = (await store.get<number>('batch-count', 'n'))!;
    // The counter counts the steps of every round: never doubled, never short of an acked step.
    expect(count - acked === last + 1 || count - acked === last + 2, `count ${count}`).toBe(true);
    expect(count - acked).toBeLessThanOrEqual(ids.length);
    acked = count;
    await store.close();
  }
});
