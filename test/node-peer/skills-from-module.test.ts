import { describe, expect, it } from 'vitest';
import { runSkill } from '../../web/agents/skills/run-skill.ts';
import { skillNameFromExport, skillsFromModule } from '../../web/agents/skills/skills-from-module.ts';

// Loaded by URL: the example is plain JS as users write it, without type declarations.
const example = (await import(new URL('../../examples/my-skills.js', import.meta.url).href)) as Record<string, unknown>;
const ctx = () => ({ signal: new AbortController().signal, env: {} });

describe('skillsFromModule', () => {
  it('turns the documented example into streaming and plain skills', async () => {
    const skills = skillsFromModule(example, 'my-skills.js');
    expect(skills.map((s) => [s.name, s.streaming])).toEqual([['countdown', true], ['word-count', false]]);
    const wc = skills[1]!;
    expect(await runSkill(wc, { text: 'one two  three' }, ctx())).toEqual({ words: 3, characters: 14 });
    await expect(runSkill(wc, {}, ctx())).rejects.toThrow('word-count: input.text: is required');
    const chunks: unknown[] = [];
    expect(await runSkill(skills[0]!, { from: 3 }, { ...ctx(), onChunk: (c) => void chunks.push(c) })).toBe('liftoff');
    expect(chunks).toEqual([3, 2, 1]);
  });

  it('names skills after exports', () => {
    expect(skillNameFromExport('fetchUrl')).toBe('fetch-url');
    expect(skillNameFromExport('summarize_text')).toBe('summarize-text');
    expect(skillNameFromExport('v2Parse')).toBe('v2-parse');
  });

  it.each([
    [{ noDesc: async () => 1 }, 'm.js: export "noDesc": needs a "description" string property'],
    [{ default: Object.assign(async () => 1, { description: 'd' }) }, 'm.js: export "default": use named exports'],
    [{ BadName: Object.assign(async () => 1, { description: 'd', skillName: 'Bad Name' }) }, 'skill name "Bad Name" must be 1-64 chars'],
    [{ s: Object.assign(async () => 1, { description: 'd', inputSchema: { type: 'thing' } }) }, 'm.js: export "s": inputSchema.type: must be one of'],
    [{ a: Object.assign(async () => 1, { description: 'd', skillName: 'x' }), b: Object.assign(async () => 1, { description: 'd', skillName: 'x' }) }, 'skill name "x" is used twice'],
    [{ VERSION: '1' }, 'm.js: exports no skills'],
  ])('refuses unusable exports with a clear message (%#)', (exports, message) => {
    expect(() => skillsFromModule(exports, 'm.js')).toThrow(message);
  });
});
