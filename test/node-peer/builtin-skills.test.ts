import { describe, expect, it } from 'vitest';
import { defaultNodeSkills, NODE_BUILTIN_SKILLS } from '../../headless-node/skills/node-skills.ts';
import { defaultBuiltins, PORTABLE_BUILTINS } from '../../web/agents/skills/builtin-skills.ts';

const names = (list: readonly { name: string }[]) => list.map((s) => s.name);

describe('built-in skill registry', () => {
  it('the browser and the Node peer host the portable built-ins from one list', () => {
    const portable = names(PORTABLE_BUILTINS.map((b) => b.skill));
    expect(portable).toEqual(['echo', 'time', 'llm', 'chat']);
    expect([...NODE_BUILTIN_SKILLS.keys()]).toEqual([...portable, 'sysinfo', 'fetch-url']);
    for (const b of PORTABLE_BUILTINS) expect(NODE_BUILTIN_SKILLS.get(b.skill.name)).toBe(b.skill);
  });

  it('hosts llm by default only with an endpoint; fetch-url never by default', () => {
    expect(names(defaultBuiltins(PORTABLE_BUILTINS, {}))).toEqual(['echo', 'time', 'chat']);
    expect(names(defaultBuiltins(PORTABLE_BUILTINS, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }))).toEqual(['echo', 'time', 'llm', 'chat']);
    expect(defaultNodeSkills({})).toEqual(['echo', 'time', 'sysinfo', 'chat']);
    expect(defaultNodeSkills({ OPENAI_API_KEY: 'sk-test' })).toEqual(['echo', 'time', 'sysinfo', 'chat', 'llm']);
  });
});
