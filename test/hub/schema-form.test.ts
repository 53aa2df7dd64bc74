import { describe, expect, it } from 'vitest';
import { llmSkill } from '../../web/agents/skills/llm.ts';
import { timeSkill } from '../../web/agents/skills/time.ts';
import { echoSkill } from '../../web/agents/skills/echo.ts';
import { fieldsFor, initialValues, readForm } from '../../web/hub/views/schema-form.ts';

describe('task input form from a skill inputSchema', () => {
  it('makes one field per property with the right kind; any-input skills keep the JSON editor', () => {
    const llm = fieldsFor(llmSkill.inputSchema)!;
    expect(llm.map((f) => [f.name, f.kind])).toEqual([
      ['prompt', 'text'], ['system', 'text'], ['messages', 'json'], ['model', 'text'], ['temperature', 'number'], ['maxTokens', 'integer'],
    ]);
    expect(fieldsFor(timeSkill.inputSchema)!.map((f) => f.name)).toEqual(['timeZone']);
    expect(fieldsFor(echoSkill.inputSchema)).toBeUndefined();
    expect(fieldsFor({ type: 'string' })).toBeUndefined();
  });

  it('prefills defaults, leaves the rest empty, and builds the input from what was filled', () => {
    const fields = fieldsFor({ type: 'object', properties: { n: { type: 'integer', default: 3 }, on: { type: 'boolean' }, mode: { enum: ['a', 'b'], default: 'b' }, s: { type: 'string' } } })!;
    const values = initialValues(fields);
    expect(values).toEqual({ n: '3', on: false, mode: '"b"', s: '' });
    expect(readForm(fields, values)).toEqual({ input: { n: 3, mode: 'b' }, problems: {} });
    expect(readForm(fields, { ...values, on: true, s: 'x' }).input).toEqual({ n: 3, mode: 'b', on: true, s: 'x' });
  });

  it('gives every invalid field its own message naming the field and the rule', () => {
    const fields = fieldsFor(llmSkill.inputSchema)!;
    const { problems } = readForm(fields, { ...initialValues(fields), temperature: '5', maxTokens: '1.5', messages: '[{"role":"robot","content":"x"}]' });
    expect(problems).toEqual({
      temperature: 'temperature: must be <= 2',
      maxTokens: 'maxTokens: must be integer (got number)',
      messages: expect.stringMatching(/^messages\[0\]\.role: must be one of/),
    });
    const req = fieldsFor({ type: 'object', required: ['url'], properties: { url: { type: 'string', pattern: '^https?://' } } })!;
    expect(readForm(req, { url: '' }).problems).toEqual({ url: 'url: is required' });
    expect(readForm(req, { url: 'ftp://x' }).problems).toEqual({ url: 'url: must match /^https?:///' });
    expect(readForm(fields, { ...initialValues(fields), messages: '[oops' }).problems).toEqual({ messages: 'messages: is not valid JSON' });
  });
});
