import fc from 'fast-check';
import type * as v from 'valibot';

/** The parts of a valibot schema object this generator reads (valibot schemas are plain data). */
interface SchemaNode {
  kind: 'schema';
  type: string;
  pipe?: Array<SchemaNode | { kind: string; type: string; requirement?: unknown }>;
  entries?: Record<string, SchemaNode>;
  wrapped?: SchemaNode;
  default?: unknown;
  item?: SchemaNode;
  options?: SchemaNode[] | string[];
  literal?: unknown;
  key?: SchemaNode | string;
  value?: SchemaNode;
}

interface Constraints {
  minLength?: number;
  maxLength?: number;
  regex?: RegExp;
  integer?: boolean;
  minValue?: number;
  maxValue?: number;
}

// Generated strings and arrays stay small: the limits themselves get their own near-miss cases.
const MAX_GENERATED_LENGTH = 24;
const MAX_GENERATED_ITEMS = 4;

/** Reads the validation actions of a (possibly nested) pipe; unknown actions fail loudly so new rules get covered. */
function constraintsOf(node: SchemaNode, into: Constraints = {}): Constraints {
  for (const step of node.pipe ?? []) {
    if (step.kind === 'schema') {
      if (step !== node) constraintsOf(step as SchemaNode, into);
      continue;
    }
    const req = (step as { requirement?: unknown }).requirement;
    switch (step.type) {
      case 'min_length': into.minLength = Math.max(into.minLength ?? 0, req as number); break;
      case 'max_length': into.maxLength = Math.min(into.maxLength ?? Infinity, req as number); break;
      case 'regex': into.regex = req as RegExp; break;
      case 'integer': into.integer = true; break;
      case 'min_value': into.minValue = Math.max(into.minValue ?? -Infinity, req as number); break;
      case 'max_value': into.maxValue = Math.min(into.maxValue ?? Infinity, req as number); break;
      default: throw new Error(`schema-arbitrary: no generator for pipe action "${step.type}"`);
    }
  }
  return into;
}

function stringArb(c: Constraints): fc.Arbitrary<string> {
  const min = c.minLength ?? 0;
  const max = c.maxLength ?? Infinity;
  const base = c.regex
    ? fc.stringMatching(c.regex)
    : fc.string({ unit: fc.constantFrom<'grapheme' | 'binary'>('grapheme', 'binary').chain((u) => fc.string({ unit: u, minLength: 1, maxLength: 1 })), minLength: min, maxLength: Math.min(max, Math.max(min, MAX_GENERATED_LENGTH)) });
  return base.filter((s) => s.length >= min && s.length <= max);
}

function numberArb(c: Constraints): fc.Arbitrary<number> {
  const min = c.minValue ?? -1e12;
  const max = c.maxValue ?? 1e12;
  return c.integer
    ? fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) })
    : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** JSON values for `v.unknown()` slots. */
export const jsonValue = fc.jsonValue({ maxDepth: 2 });

/**
 * A fast-check arbitrary producing values `schema` accepts, derived from the schema itself so every
 * validator in protocol/ is covered as it evolves. Optional keys are sometimes omitted;
 * optional keys with a default are always present so that output equals input.
 */
export function arbitraryFor(schema: v.GenericSchema): fc.Arbitrary<unknown> {
  const node = schema as unknown as SchemaNode;
  const c = constraintsOf(node);
  switch (node.type) {
    case 'string': return stringArb(c);
    case 'number': return numberArb(c);
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    case 'literal': return fc.constant(node.literal);
    case 'picklist': return fc.constantFrom(...(node.options as string[]));
    case 'unknown': return jsonValue;
    case 'optional': return arbitraryFor(node.wrapped as unknown as v.GenericSchema);
    case 'nullable': return fc.option(arbitraryFor(node.wrapped as unknown as v.GenericSchema), { nil: null });
    case 'union':
    case 'variant': return fc.oneof(...(node.options as SchemaNode[]).map((o) => arbitraryFor(o as unknown as v.GenericSchema)));
    case 'array': {
      const max = Math.min(c.maxLength ?? Infinity, MAX_GENERATED_ITEMS);
      return fc.array(arbitraryFor(node.item as unknown as v.GenericSchema), { minLength: Math.min(c.minLength ?? 0, max), maxLength: max });
    }
    case 'record': {
      // Keys the JSON round trip or valibot treat specially are not interesting "valid" input.
      const key = stringArb(constraintsOf(node.key as SchemaNode)).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k));
      return fc.dictionary(key, arbitraryFor(node.value as unknown as v.GenericSchema), { maxKeys: 3 });
    }
    case 'object': {
      const entries = node.entries!;
      const arbs: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [k, s] of Object.entries(entries)) {
        arbs[k] = arbitraryFor(s as unknown as v.GenericSchema);
        if (s.type !== 'optional' || s.default !== undefined) required.push(k);
      }
      return fc.record(arbs, { requiredKeys: required });
    }
    default:
      throw new Error(`schema-arbitrary: no generator for schema type "${node.type}"`);
  }
}

/** Every path (object keys and array indexes) inside a JSON value, outermost first. */
export function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [];
  const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => [[...prefix, k], ...pathsOf((value as Record<string | number, unknown>)[k], [...prefix, k])]);
}

/** A copy of `value` with the slot at `path` replaced (`undefined` deletes it). */
export function withAt(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  const [head, ...rest] = path;
  if (rest.length === 0 && replacement === undefined) {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete copy[head!];
  } else {
    copy[head!] = withAt(copy[head!], rest, replacement);
  }
  return copy;
}

/** Values that are wrong in the ways clients actually get wrong: type, length, charset, range. */
export const nearMissValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, '', ' ', 0, -1, 1.5, -0.5, 1e300, true, false, [], {}, '__proto__', 'a'.repeat(70_000)),
  fc.string({ unit: 'binary', maxLength: 8 }).map((s) => `${s}\u0000${s}`),
  fc.string({ maxLength: 80 }),
  fc.integer({ min: -2, max: 2 ** 53 }),
  jsonValue,
);
