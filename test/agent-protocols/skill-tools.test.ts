import { describe, expect, it } from 'vitest';
import { outputOfToolResult, skillNameFor } from '../../headless-node/mcp/mcp-tool-skills.ts';
import { skillTool, toolResult } from '../../headless-node/mcp/skill-tools.ts';

const offered = (inputSchema: Record<string, unknown> | undefined) => ({ name: 'x', description: 'd', agents: ['p:a'], ...(inputSchema ? { inputSchema } : {}) });

describe('skills as MCP tools', () => {
  it('keeps object schemas, takes the arguments as the input of an any-input skill, and wraps other inputs as `input`', () => {
    const obj = skillTool(offered({ type: 'object', properties: { a: { type: 'number' } } }));
    expect(obj.tool.inputSchema).toEqual({ type: 'object', properties: { a: { type: 'number' } } });
    expect(obj.inputOf({ a: 1 })).toEqual({ a: 1 });
    const any = skillTool(offered({}));
    expect(any.tool.inputSchema).toEqual({ type: 'object' });
    expect(any.inputOf(undefined)).toEqual({});
    const str = skillTool(offered({ type: 'string', maxLength: 5 }));
    expect(str.tool.inputSchema).toEqual({ type: 'object', properties: { input: { type: 'string', maxLength: 5 } }, required: ['input'] });
    expect(str.inputOf({ input: 'hi' })).toBe('hi');
  });

  it('returns strings as text and JSON as text plus structured content (an object)', () => {
    expect(toolResult('hi')).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(toolResult({ a: 1 })).toEqual({ content: [{ type: 'text', text: '{"a":1}' }], structuredContent: { a: 1 } });
    expect(toolResult([1, 2])).toEqual({ content: [{ type: 'text', text: '[1,2]' }], structuredContent: { result: [1, 2] } });
    expect(toolResult(undefined)).toEqual({ content: [{ type: 'text', text: 'null' }], structuredContent: { result: null } });
  });
});

describe('MCP tools as skills', () => {
  it('names skills lower-case kebab and drops what a skill name cannot hold', () => {
    expect(skillNameFor('get-sum')).toBe('get-sum');
    expect(skillNameFor('getTinyImage')).toBe('get-tiny-image');
    expect(skillNameFor('Search Web!')).toBe('search-web-');
    expect(skillNameFor('___')).toBeUndefined();
  });

  it('prefers structured content, then joined text, then the content as it is', () => {
    expect(outputOfToolResult({ content: [{ type: 'text', text: 'x' }], structuredContent: { n: 1 } })).toEqual({ n: 1 });
    expect(outputOfToolResult({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] })).toBe('a\nb');
    const image = { type: 'image' as const, data: 'AAAA', mimeType: 'image/png' };
    expect(outputOfToolResult({ content: [image] })).toEqual([image]);
  });
});
