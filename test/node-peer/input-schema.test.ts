import { describe, expect, it } from 'vitest';
import { checkInput, checkSchema, type InputSchema } from '../../web/agents/skills/input-schema.ts';

const schema: InputSchema = {
  type: 'object',
  required: ['text'],
  additionalProperties: false,
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 5 },
    count: { type: 'integer', minimum: 1, maximum: 3 },
    mode: { enum: ['a', 'b'] },
    tags: { type: 'array', maxItems: 2, items: { type: 'string', pattern: '^[a-z]+$' } },
    nullable: { type: ['string', 'null'] },
  },
};

describe('checkInput', () => {
  it('accepts valid input', () => {
    expect(checkInput(schema, { text: 'hi', count: 2, mode: 'a', tags: ['x'], nullable: null })).toBeUndefined();
  });

  it.each([
    [{ count: 1 }, 'input.text: is required'],
    [{ text: 5 }, 'input.text: must be string (got number)'],
    [{ text: '' }, 'input.text: must be at least 1 characters'],
    [{ text: 'toolong' }, 'input.text: must be at most 5 characters'],
    [{ text: 'a', count: 1.5 }, 'input.count: must be integer (got number)'],
    [{ text: 'a', count: 9 }, 'input.count: must be <= 3'],
    [{ text: 'a', mode: 'c' }, 'input.mode: must be one of "a", "b"'],
    [{ text: 'a', tags: ['x', 'y', 'z'] }, 'input.tags: must have at most 2 items'],
    [{ text: 'a', tags: ['ok', 'NO'] }, 'input.tags[1]: must match /^[a-z]+$/'],
    [{ text: 'a', extra: 1 }, 'input.extra: is not allowed (allowed: text, count, mode, tags, nullable)'],
    [{ text: 'a', nullable: 3 }, 'input.nullable: must be string or null (got number)'],
    [[1], 'input: must be object (got array)'],
    [null, 'input: must be object (got null)'],
  ])('rejects %j with a message naming the field and rule', (input, message) => {
    expect(checkInput(schema, input)).toBe(message);
  });

  it('treats NaN and Infinity as not numbers', () => {
    expect(checkInput({ type: 'number' }, Number.NaN)).toBe('input: must be number (got NaN)');
    expect(checkInput({ type: 'number' }, Number.POSITIVE_INFINITY)).toBe('input: must be number (got Infinity)');
  });

  it('types bytes as binary, sizes them in bytes, and never walks them as objects', () => {
    const bytes = new Uint8Array(5_000_000);
    expect(checkInput({}, bytes)).toBeUndefined();
    expect(checkInput({ type: 'binary', minLength: 1, maxLength: 5_000_000 }, bytes)).toBeUndefined();
    expect(checkInput({ type: 'binary' }, new ArrayBuffer(3))).toBeUndefined();
    expect(checkInput({ type: 'binary', maxLength: 4 }, new Uint8Array(5))).toBe('input: must be at most 4 bytes');
    expect(checkInput({ type: 'object' }, bytes)).toBe('input: must be object (got binary)');
    expect(checkInput({ type: 'object', properties: { img: { type: 'binary' } } }, { img: 'x' })).toBe('input.img: must be binary (got string)');
    expect(checkInput({ additionalProperties: false }, bytes)).toBeUndefined();
  });

  it('checks unknown properties against a schema-valued additionalProperties', () => {
    expect(checkInput({ type: 'object', additionalProperties: { type: 'number' } }, { a: 1, b: 'x' })).toBe('input.b: must be number (got string)');
  });
});

describe('checkSchema', () => {
  it('accepts the supported subset', () => {
    expect(checkSchema(schema)).toBeUndefined();
    expect(checkSchema({})).toBeUndefined();
  });

  it.each([
    ['nope', 'inputSchema: must be an object'],
    [{ type: 'str' }, 'inputSchema.type: must be one of string, number, integer, boolean, object, array, null, binary'],
    [{ properties: { a: { oneOf: [] } } }, 'inputSchema.properties.a.oneOf: unsupported keyword'],
    [{ maxLength: '3' }, 'inputSchema.maxLength: must be a number'],
    [{ required: [1] }, 'inputSchema.required: must be an array of property names'],
    [{ pattern: '(' }, 'inputSchema.pattern: is not a valid regular expression'],
    [{ items: { type: 'x' } }, 'inputSchema.items.type: must be one of'],
  ])('rejects %j', (bad, message) => {
    expect(checkSchema(bad)).toContain(message);
  });
});
