import { afterEach, describe, expect, it } from 'vitest';
import type * as HostModule from '../../headless-node/agents/worker-agent-host.ts';
import type { WorkerAgentHost } from '../../headless-node/agents/worker-agent-host.ts';
import { fixture, importDist } from './helpers/dist.ts';

const { createWorkerAgentHost } = await importDist<typeof HostModule>('headless-node/agents/worker-agent-host.js');
const EXAMPLE = new URL('../../examples/my-skills.js', import.meta.url).pathname;

const hosts: WorkerAgentHost[] = [];
afterEach(async () => void (await Promise.all(hosts.splice(0).map((h) => h.close()))));
async function host(opts: Partial<HostModule.WorkerAgentHostOptions> = {}): Promise<WorkerAgentHost> {
  const h = await createWorkerAgentHost({ name: 'test-agent', builtins: ['echo', 'time'], ...opts });
  hosts.push(h);
  return h;
}
const signal = () => new AbortController().signal;
const failure = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as Error & { code: string };

describe('worker_threads agent host', () => {
  it('advertises the loaded skills and runs them in a worker', async () => {
    const h = await host({ builtins: ['echo', 'time', 'sysinfo'], skillsModule: EXAMPLE });
    const [agent] = h.agents();
    expect(agent!.name).toBe('test-agent');
    expect(agent!.platform).toBe('node');
    expect(agent!.skills.map((s) => [s.name, s.streaming])).toEqual([['echo', false], ['time', false], ['sysinfo', false], ['countdown', true], ['word-count', false]]);
    expect(agent!.skills.find((s) => s.name === 'word-count')!.inputSchema).toMatchObject({ required: ['text'] });
    expect(await h.run('echo', { nested: { list: [1, null, 'x'] } }, { signal: signal() })).toEqual({ nested: { list: [1, null, 'x'] } });
    expect(await h.run('word-count', { text: 'a b c' }, { signal: signal() })).toEqual({ words: 3, characters: 5 });
    expect(await h.run('sysinfo', {}, { signal: signal() })).toMatchObject({ node: process.version, cpus: expect.any(Number) });
  });

  it('moves bytes into the worker by transfer and back intact', async () => {
    const h = await host();
    const bytes = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7) & 255);
    const expected = bytes.slice();
    const input = { bytes, buffer: expected.slice(0, 10).buffer, note: 'n' };
    const out = (await h.run('echo', input, { signal: signal() })) as { bytes: Uint8Array; buffer: ArrayBuffer; note: string };
    expect(out.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(out.bytes, expected)).toBe(0);
    expect(out.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(out.buffer)]).toEqual([...expected.slice(0, 10)]);
    expect(out.note).toBe('n');
    // Transferred, not copied: the input (which came off the wire) now belongs to the worker.
    expect(bytes.byteLength).toBe(0);
  });

  it('streams chunks back in order before the result', async () => {
    const h = await host({ skillsModule: EXAMPLE });
    const events: unknown[] = [];
    const out = await h.run('countdown', { from: 50 }, { signal: signal(), onChunk: (c) => events.push(c) });
    events.push(out);
    expect(events).toEqual([...Array.from({ length: 50 }, (_, i) => 50 - i), 'liftoff']);
  });

  it('reports bad input and unknown skills as SkillErrors with codes', async () => {
    const h = await host({ skillsModule: EXAMPLE });
    const bad = await failure(h.run('word-count', { text: 42 }, { signal: signal() }));
    expect([bad.name, bad.code, bad.message]).toEqual(['SkillError', 'bad-input', 'word-count: input.text: must be string (got number)']);
    const missing = await failure(h.run('nope', {}, { signal: signal() }));
    expect([missing.code, missing.message]).toEqual(['unknown-skill', 'no skill "nope" on this peer']);
  });

  it('turns exceptions and non-JSON output of user skills into SkillErrors', async () => {
    const h = await host({ skillsModule: fixture('crashy-skills.js') });
    const thrown = await failure(h.run('fail', { message: 'bad things' }, { signal: signal() }));
    expect([thrown.name, thrown.code, thrown.message]).toEqual(['SkillError', 'skill-failed', 'fail: bad things']);
    expect((await failure(h.run('returns-bigint', {}, { signal: signal() }))).code).toBe('bad-output');
    const own = await failure(h.run('quota', {}, { signal: signal() }));
    expect([own.code, own.message]).toEqual(['quota', 'daily quota used up']);
  });

  it('survives a worker crash: in-flight calls fail with worker-crashed, the next call works', async () => {
    const h = await host({ skillsModule: fixture('crashy-skills.js') });
    const crash = await failure(h.run('crash', {}, { signal: signal() }));
    expect([crash.name, crash.code, crash.message]).toEqual(['SkillError', 'worker-crashed', 'skill worker crashed: boom from a timer']);
    expect(await h.run('echo', 'still here', { signal: signal() })).toBe('still here');
    const exit = await failure(h.run('exit-worker', { code: 7 }, { signal: signal() }));
    expect([exit.code, exit.message]).toEqual(['worker-crashed', 'skill worker crashed: skill worker exited with code 7']);
    expect(await h.run('echo', 'again', { signal: signal() })).toBe('again');
  });

  it('contains a skill that exhausts its heap', async () => {
    const h = await host({ skillsModule: fixture('crashy-skills.js'), memoryLimitMb: 32 });
    const oom = await failure(h.run('hog', {}, { signal: signal() }));
    expect([oom.code, oom.message]).toEqual(['worker-crashed', 'skill worker crashed: out of memory']);
    expect(await h.run('echo', 1, { signal: signal() })).toBe(1);
  });

  it('cancels cooperative skills through the AbortSignal', async () => {
    const h = await host({ skillsModule: fixture('crashy-skills.js') });
    const controller = new AbortController();
    const pending = h.run('wait-for-cancel', {}, { signal: controller.signal });
    await expect.poll(() => h.inFlight()).toBe(1);
    controller.abort();
    expect((await failure(pending)).code).toBe('cancelled');
    await expect.poll(() => h.inFlight()).toBe(0);
    expect(await h.run('echo', 'ok', { signal: signal() })).toBe('ok');
  });

  it('replaces a worker whose cancelled skill keeps spinning', async () => {
    const h = await host({ skillsModule: fixture('crashy-skills.js'), cancelGraceMs: 100 });
    const controller = new AbortController();
    const spinning = h.run('spin', {}, { signal: controller.signal });
    await expect.poll(() => h.inFlight()).toBe(1);
    controller.abort(new Error('caller gave up'));
    const err = await failure(spinning);
    expect([err.code, err.message]).toEqual(['cancelled', 'spin: cancelled (caller gave up)']);
    // The spinning worker takes no new calls: a fresh one serves this one at once.
    expect(await h.run('echo', 'fresh', { signal: signal() })).toBe('fresh');
    // …and the spinning one is terminated after the grace period.
    await expect.poll(() => h.inFlight()).toBe(0);
  });

  it('passes the environment to skills', async () => {
    const h = await host({ skillsModule: fixture('crashy-skills.js'), env: { TABMESH_TEST_MARKER: 'm-1' } });
    expect(await h.run('env', {}, { signal: signal() })).toEqual({ marker: 'm-1' });
  });

  it('refuses unknown built-ins and unusable modules with SkillLoadError', async () => {
    const unknown = await failure(createWorkerAgentHost({ name: 'a', builtins: ['echo', 'teleport'] }));
    expect([unknown.name, unknown.message]).toEqual(['SkillLoadError', 'unknown built-in skill "teleport" (available: echo, time, llm, chat, sysinfo, fetch-url)']);
    const noDesc = await failure(createWorkerAgentHost({ name: 'a', builtins: [], skillsModule: fixture('bad-skills-no-description.js') }));
    expect(noDesc.message).toMatch(/bad-skills-no-description\.js: export "noDescription": needs a "description" string property/);
    const syntax = await failure(createWorkerAgentHost({ name: 'a', builtins: [], skillsModule: fixture('bad-skills-syntax.js') }));
    expect(syntax.name).toBe('SkillLoadError');
    expect(syntax.message).toMatch(/SyntaxError|Unexpected/);
    const missing = await failure(createWorkerAgentHost({ name: 'a', builtins: [], skillsModule: './no/such/module.js' }));
    expect(missing.message).toMatch(/Cannot find module/);
    const none = await failure(createWorkerAgentHost({ name: 'a', builtins: [] }));
    expect(none.message).toBe('no skills to host: pass --skills and/or --skills-module');
  });
});
