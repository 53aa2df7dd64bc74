import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
// Inside the package, so `tabmesh/browser` resolves through package.json "exports" (self-reference).
const dir = mkdtempSync(join(ROOT, 'test/browser/.types-consumer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A consumer as a bundled web app would be: strict, bundler resolution, no .ts imports of its own. */
const CONSUMER = `
import { joinMesh, MeshError, type TabmeshPeer, type CallResult, type Tier } from 'tabmesh/browser';

export async function main(): Promise<string> {
  const peer: TabmeshPeer = await joinMesh({
    invite: 'ABCDEFGH2345',
    skills: { reverse: { description: 'Reverses.', handler: async (input: { text: string }) => [...input.text].reverse().join('') } },
    workers: [{ name: 'heavy', url: new URL('./skills.js', 'https://example.org/') }],
  });
  const off = peer.on('tier', (e) => { const t: Tier = e.tier; void t; });
  off();
  const res: CallResult = await peer.call(peer.peers()[0]!.peerId, 'echo', 'hi', { onChunk: (c) => void c, signal: AbortSignal.timeout(1000) });
  // @ts-expect-error: not an option (typed, not any)
  await joinMesh({ apiKey: 'k', nope: true });
  // @ts-expect-error: no such event
  peer.on('no-such-event', () => undefined);
  return String(res.output) + (new MeshError('timeout', 'x').code satisfies string);
}
`;

describe('browser library types', () => {
  it('type-checks a strict consumer importing tabmesh/browser through the package exports', async () => {
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', strict: true, noEmit: true, lib: ['ES2023', 'DOM', 'DOM.Iterable'], types: [], skipLibCheck: false },
      files: ['consumer.ts'],
    }));
    const run = await promisify(execFile)(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir }).then(
      () => ({ code: 0, out: '' }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, out: err.stdout ?? '' }),
    );
    expect(run.out).toBe('');
    expect(run.code).toBe(0);
  });
});
