import { describe, expect, it } from 'vitest';
import { SkillError } from '../../web/mesh/agent-host.ts';
import { runSkill } from '../../web/agents/skills/run-skill.ts';
import { defineSkill } from '../../web/agents/skills/skill-definition.ts';
import { echoSkill } from '../../web/agents/skills/echo.ts';
import { timeSkill } from '../../web/agents/skills/time.ts';

const ctx = () => ({ signal: new AbortController().signal, env: {} });

async function failure(p: Promise<unknown>): Promise<SkillError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SkillError);
  return err as SkillError;
}

const counter = defineSkill<{ n: number }>({
  name: 'counter',
  description: 'yields 1..n',
  inputSchema: { type: 'object', properties: { n: { type: 'integer', minimum: 0 } }, required: ['n'] },
  async *handler({ n }) {
    for (let i = 1; i <= n; i++) yield i;
  },
});

describe('runSkill', () => {
  it('echo returns its input and time reports the clock', async () => {
    expect(await runSkill(echoSkill, { a: [1, 'x'] }, ctx())).toEqual({ a: [1, 'x'] });
    const before = Date.now();
    expect(await runSkill(echoSkill, null, ctx())).toBeNull();
    const t = (await runSkill(timeSkill, undefined, ctx())) as { epochMs: number; iso: string };
    // null is how "no input" crosses the wire (JSON has no undefined).
    expect(await runSkill(timeSkill, null, ctx())).toHaveProperty('epochMs');
    expect(t.epochMs).toBeGreaterThanOrEqual(before);
    expect(new Date(t.iso).getTime()).toBe(t.epochMs);
  });

  it('keeps binary values and long strings in outputs and chunks as they are (they travel as raw bytes)', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const long = 'x'.repeat(70_000);
    const out = (await runSkill(echoSkill, { bytes, list: [bytes.buffer], long, at: new Date(0) }, ctx())) as Record<string, unknown>;
    expect(out.bytes).toBe(bytes);
    expect((out.list as unknown[])[0]).toBe(bytes.buffer);
    expect(out.long).toBe(long);
    // Everything else still goes through JSON, as it will on the wire.
    expect(out.at).toBe('1970-01-01T00:00:00.000Z');
    expect(await runSkill(echoSkill, bytes, ctx())).toBe(bytes);
    const chunks: unknown[] = [];
    const binaryStream = defineSkill<unknown>({ name: 'bin', description: 'bytes out', inputSchema: {}, async *handler() { yield new Uint8Array([7]); } });
    await runSkill(binaryStream, null, { ...ctx(), onChunk: (c) => void chunks.push(c) });
    expect(chunks).toEqual([new Uint8Array([7])]);
  });

  it('refuses input that does not match the schema, naming skill, field and rule', async () => {
    const err = await failure(runSkill(timeSkill, { timeZone: 1 }, ctx()));
    expect(err.code).toBe('bad-input');
    expect(err.message).toBe('time: input.timeZone: must be string (got number)');
    expect((await failure(runSkill(timeSkill, { timeZone: 'Mars/Base' }, ctx()))).message).toMatch(/unknown time zone "Mars\/Base"/);
  });

  it('delivers streamed chunks in order and returns the generator result', async () => {
    const seen: unknown[] = [];
    const out = await runSkill(counter, { n: 5 }, { ...ctx(), onChunk: (c) => void seen.push(c) });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(out).toBeUndefined();
  });

  it('collects chunks as the output when the caller does not stream', async () => {
    expect(await runSkill(counter, { n: 3 }, ctx())).toEqual([1, 2, 3]);
  });

  it('stops a stream on cancel and lets the generator clean up', async () => {
    const controller = new AbortController();
    let cleaned = false;
    const endless = defineSkill({
      name: 'endless', description: 'forever', inputSchema: {},
      async *handler() {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          cleaned = true;
        }
      },
    });
    const seen: unknown[] = [];
    const err = await failure(runSkill(endless, {}, {
      signal: controller.signal, env: {},
      onChunk: (c) => {
        seen.push(c);
        if (seen.length === 3) controller.abort();
      },
    }));
    expect(err.code).toBe('cancelled');
    expect(seen).toEqual([0, 1, 2]);
    expect(cleaned).toBe(true);
  });

  it('maps handler exceptions to skill-failed and non-JSON output to bad-output', async () => {
    const thrower = defineSkill({ name: 'thrower', description: 'x', inputSchema: {}, handler: async () => { throw new RangeError('nope'); } });
    const err = await failure(runSkill(thrower, {}, ctx()));
    expect([err.code, err.message]).toEqual(['skill-failed', 'thrower: nope']);
    const bigint = defineSkill({ name: 'big', description: 'x', inputSchema: {}, handler: async () => ({ n: 1n }) });
    expect((await failure(runSkill(bigint, {}, ctx()))).code).toBe('bad-output');
  });

  it('keeps a SkillError thrown by the handler as is', async () => {
    const own = defineSkill({ name: 'own', description: 'x', inputSchema: {}, handler: async () => { throw new SkillError('quota', 'over quota'); } });
    const err = await failure(runSkill(own, {}, ctx()));
    expect([err.code, err.message]).toEqual(['quota', 'over quota']);
  });
});
