import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../../protocol/identity.ts';
import { resolveCredentials } from '../../web/lib/credentials.ts';
import { combineHosts, pageAgentHost, pageSkillDefinitions } from '../../web/lib/page-skills.ts';

const run = (host: ReturnType<typeof pageAgentHost>, skill: string, input: unknown, onChunk?: (c: unknown) => void) =>
  host.run(skill, input, { signal: new AbortController().signal, ...(onChunk ? { onChunk } : {}) });

describe('browser library: page skills', () => {
  it('describes functions and spec objects, streaming for async generators', () => {
    const upper = async ({ text }: { text: string }) => text.toUpperCase();
    upper.description = 'Upper-cases.';
    const defs = pageSkillDefinitions({
      upper,
      count: { description: 'Counts.', inputSchema: { type: 'integer', minimum: 1 }, handler: async function* (n: number) { for (let i = 1; i <= n; i++) yield i; } },
      plain: async () => 1,
    });
    expect(defs.map((d) => [d.name, d.description, d.streaming])).toEqual([['upper', 'Upper-cases.', false], ['count', 'Counts.', true], ['plain', 'plain', false]]);
    expect(pageAgentHost('page', defs).agents()).toEqual([{ name: 'page', platform: 'browser', skills: defs.map((d) => ({ name: d.name, description: d.description, inputSchema: d.inputSchema, streaming: d.streaming })) }]);
    expect(pageAgentHost('page', []).agents()).toEqual([]);
  });

  it('refuses bad names, handlers and schemas with the skill and the rule named', () => {
    expect(() => pageSkillDefinitions({ 'Bad Name': async () => 1 })).toThrow('skills["Bad Name"]: a skill name must be 1-64 chars of a-z 0-9 _ . -');
    expect(() => pageSkillDefinitions({ x: { handler: 'nope' } as never })).toThrow('skills["x"]: must be a function or { handler: function }');
    expect(() => pageSkillDefinitions({ x: { inputSchema: { type: 'strin' } as never, handler: async () => 1 } })).toThrow(/skills\["x"\]\.inputSchema\.type/);
  });

  it('runs skills with input checking and streaming; combined hosts route by skill', async () => {
    const page = pageAgentHost('page', pageSkillDefinitions({
      count: { inputSchema: { type: 'integer', minimum: 1 }, handler: async function* (n: number) { for (let i = 1; i <= n; i++) yield i; return 'done'; } },
    }));
    const chunks: unknown[] = [];
    expect(await run(page, 'count', 3, (c) => chunks.push(c))).toBe('done');
    expect(chunks).toEqual([1, 2, 3]);
    await expect(run(page, 'count', 0)).rejects.toMatchObject({ code: 'bad-input', message: expect.stringMatching(/^count: input/) });
    const other = pageAgentHost('other', pageSkillDefinitions({ echo: async (x: unknown) => x }));
    const both = combineHosts([page, other]);
    expect(both.agents().map((a) => a.name)).toEqual(['page', 'other']);
    expect(await run(both as ReturnType<typeof pageAgentHost>, 'echo', { a: 1 })).toEqual({ a: 1 });
    await expect(run(both as ReturnType<typeof pageAgentHost>, 'missing', null)).rejects.toMatchObject({ code: 'unknown-skill' });
  });

  it('takes exactly one credential', async () => {
    const { identity } = await generateIdentity(false);
    const ctx = { identity, base: 'http://127.0.0.1:1', name: 't' };
    await expect(resolveCredentials({}, ctx)).rejects.toThrow('joinMesh: give exactly one of invite, deviceToken, apiKey, getToken (got none)');
    await expect(resolveCredentials({ apiKey: 'a', deviceToken: 'b' }, ctx)).rejects.toThrow('(got deviceToken, apiKey)');
    await expect(resolveCredentials({ apiKey: '' }, ctx)).rejects.toThrow('joinMesh: apiKey must be a non-empty string');
    await expect(resolveCredentials({ invite: 42 as never }, ctx)).rejects.toThrow('joinMesh: invite must be a non-empty string');
    await expect(resolveCredentials({ getToken: 'jwt' as never }, ctx)).rejects.toThrow('joinMesh: getToken must be a function returning a Promise of a JWT');
    const own = await resolveCredentials({ getToken: async () => 'jwt' }, ctx);
    expect(await own.getToken()).toBe('jwt');
  });
});
