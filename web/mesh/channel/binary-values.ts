import { MAX_ATTACHMENT_DEPTH, MAX_ATTACHMENTS, type AttachmentKind } from '../../../protocol/index.ts';
import { MeshError } from '../errors.ts';

/**
 * Binary values (and very long strings) inside a JSON-like value: found, cut out, and put back.
 * The wire envelope (message-codec.ts), the skill runner's JSON check and the worker bridges all
 * use these, so "what travels as raw bytes" has one definition: a `Uint8Array` (Buffer included)
 * or `ArrayBuffer` held by a plain object or array, at most `MAX_ATTACHMENT_DEPTH` levels deep.
 */
export type PathStep = string | number;

export interface FoundValue {
  /** Path from the root handed to `extractBinary` (its `prefix` first). */
  at: PathStep[];
  kind: AttachmentKind;
  value: Uint8Array | ArrayBuffer | string;
}

export interface Extracted {
  /** The value with `null` at each found place; shares every untouched branch with the input. */
  value: unknown;
  found: FoundValue[];
}

const isPlainObject = (v: object): v is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * Cuts binary values (and, with `minTextChars`, strings at least that long) out of `root`
 * without touching it: branches holding one are copied. Undefined when there is nothing to cut,
 * which is the common case and costs one walk. Throws `MeshError('bad-message')` beyond
 * `MAX_ATTACHMENTS` values.
 */
export function extractBinary(root: unknown, prefix: PathStep[] = [], minTextChars = Infinity): Extracted | undefined {
  const found: FoundValue[] = [];
  const path = [...prefix];

  function cut(kind: AttachmentKind, value: FoundValue['value']): null {
    if (found.length >= MAX_ATTACHMENTS) throw new MeshError('bad-message', `more than ${MAX_ATTACHMENTS} binary values in one message`);
    found.push({ at: [...path], kind, value });
    return null;
  }

  function walk(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return v.length >= minTextChars ? cut('text', v) : v;
    if (typeof v !== 'object' || v === null) return v;
    if (v instanceof Uint8Array) return cut('bytes', v);
    if (v instanceof ArrayBuffer) return cut('buffer', v);
    // Deeper values go through JSON as they are (a cycle then fails there, with JSON's message).
    if (depth >= MAX_ATTACHMENT_DEPTH) return v;
    if (Array.isArray(v)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        const item: unknown = v[i];
        const r = walk(item, depth + 1);
        path.pop();
        if (r !== item) (copy ??= v.slice())[i] = r;
      }
      return copy ?? v;
    }
    if (!isPlainObject(v)) return v;
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(v)) {
      path.push(key);
      const item = v[key];
      const r = walk(item, depth + 1);
      path.pop();
      if (r !== item) define((copy ??= { ...v }), key, r);
    }
    return copy ?? v;
  }

  const value = walk(root, 0);
  return found.length ? { value, found } : undefined;
}

/** True when `root` holds a binary value somewhere `extractBinary` would find it. */
export function hasBinary(root: unknown): boolean {
  return extractBinary(root) !== undefined;
}

/**
 * Puts `value` at `at` (below `root`), where a `null` placeholder must be: only through plain
 * objects (own keys) and arrays (integer indices). Returns a reason on any other shape.
 */
export function insertAt(root: unknown, at: readonly PathStep[], value: unknown): string | undefined {
  let cur = root;
  for (let i = 0; i < at.length; i++) {
    const key = at[i]!;
    if (typeof cur !== 'object' || cur === null) return `${pathText(at.slice(0, i))} is not an object or array`;
    const ok = Array.isArray(cur) ? typeof key === 'number' && key < cur.length : typeof key === 'string' && isPlainObject(cur) && Object.hasOwn(cur, key);
    if (!ok) return `${pathText(at.slice(0, i + 1))} does not exist`;
    const container = cur as Record<PathStep, unknown>;
    if (i < at.length - 1) {
      cur = container[key];
      continue;
    }
    if (container[key] !== null) return `${pathText(at)} is not a null placeholder`;
    define(container, key, value);
  }
  return undefined;
}

/** The ArrayBuffers under `root` (deduplicated), for a `postMessage` transfer list. */
export function transferablesOf(root: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const f of extractBinary(root)?.found ?? []) {
    const b = f.value instanceof ArrayBuffer ? f.value : (f.value as Uint8Array).buffer;
    // A SharedArrayBuffer cannot be transferred (and is shared anyway).
    if (b instanceof ArrayBuffer) buffers.add(b);
  }
  return [...buffers];
}

/** `"__proto__"` is an own data property here, never the prototype setter. */
function define(target: Record<PathStep, unknown>, key: PathStep, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

const pathText = (at: readonly PathStep[]) => at.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '') || '(root)';
