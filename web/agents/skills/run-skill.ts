import { TEXT_ATTACHMENT_MIN_CHARS } from '../../../protocol/index.ts';
import { SkillError, extractBinary, insertAt } from '../../mesh/agents.ts';
import { checkInput } from './input-schema.ts';
import type { SkillContext, SkillDefinition } from './skill-definition.ts';

export interface RunSkillOptions extends SkillContext {
  /** Receives each streamed chunk in order; without it chunks are collected into the output. */
  onChunk?: (chunk: unknown) => void | Promise<void>;
}

/**
 * A skill run as plain data, for crossing a worker boundary (comlink keeps only an error's
 * message, so the `SkillError` code travels as a field). Browser and Node workers both answer this.
 */
export type SkillRunOutcome = { ok: true; output: unknown } | { ok: false; code: string; message: string };

/**
 * Runs one skill the same way on every platform: validates the input against the skill's schema,
 * calls the handler, drives streaming handlers chunk by chunk, and turns every failure into a
 * `SkillError` with a stable code (`bad-input`, `cancelled`, `bad-output`, `skill-failed`, or
 * the skill's own). Outputs and chunks are plain JSON data by the time they leave.
 */
export async function runSkill(def: SkillDefinition, rawInput: unknown, opts: RunSkillOptions): Promise<unknown> {
  const input = normalizeInput(def, rawInput);
  const problem = checkInput(def.inputSchema, input);
  if (problem) throw new SkillError('bad-input', `${def.name}: ${problem}`);
  const ctx: SkillContext = { signal: opts.signal, env: opts.env };
  try {
    opts.signal.throwIfAborted();
    const result = def.handler(input, ctx);
    const output = isAsyncIterable(result) ? await drain(def, result[Symbol.asyncIterator](), opts) : await result;
    opts.signal.throwIfAborted();
    return toPlainData(def, output, 'output');
  } catch (err) {
    throw asSkillError(def.name, err, opts.signal);
  }
}

/**
 * Absent input means "no arguments": `{}` for object schemas without required fields. JSON has no
 * undefined, so `null` off the wire counts as absent unless the schema accepts null itself.
 */
function normalizeInput(def: SkillDefinition, input: unknown): unknown {
  if (input !== undefined && (input !== null || checkInput(def.inputSchema, null) === undefined)) return input;
  if (def.inputSchema.default !== undefined) return def.inputSchema.default;
  const types = def.inputSchema.type === undefined ? [] : [def.inputSchema.type].flat();
  if ((types.length === 0 || types.includes('object')) && !def.inputSchema.required?.length) return {};
  return undefined;
}

async function drain(def: SkillDefinition, it: AsyncIterator<unknown>, opts: RunSkillOptions): Promise<unknown> {
  const collected: unknown[] = [];
  try {
    for (;;) {
      opts.signal.throwIfAborted();
      const step = await it.next();
      if (step.done) return opts.onChunk || step.value !== undefined ? step.value : collected;
      const chunk = toPlainData(def, step.value, 'chunk');
      if (opts.onChunk) await opts.onChunk(chunk);
      else collected.push(chunk);
    }
  } catch (err) {
    // Lets the generator run its finally blocks (close sockets, stop timers) before we report.
    await it.return?.().catch(() => undefined);
    throw err;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * JSON is the wire format, so a value that does not survive JSON is refused here, by name.
 * Binary values (`Uint8Array`, `ArrayBuffer`) and long strings travel beside the JSON
 * (web/mesh/channel/message-codec.ts): they are kept as they are, not stringified.
 */
function toPlainData(def: SkillDefinition, value: unknown, what: 'output' | 'chunk'): unknown {
  if (value === undefined) return undefined;
  const cut = extractBinary(value, ['value'], TEXT_ATTACHMENT_MIN_CHARS);
  let text: string | undefined;
  try {
    text = JSON.stringify(cut ? cut.value : value);
  } catch (err) {
    throw new SkillError('bad-output', `${def.name}: ${what} is not JSON-serialisable (${(err as Error).message})`);
  }
  if (text === undefined) throw new SkillError('bad-output', `${def.name}: ${what} is not JSON-serialisable (got ${typeof value})`);
  const plain = { value: JSON.parse(text) as unknown };
  for (const f of cut?.found ?? []) insertAt(plain, f.at, f.value);
  return plain.value;
}

const ERROR_CODE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Maps anything a handler throws to a `SkillError`; never leaks stack traces to the caller. */
export function asSkillError(skill: string, err: unknown, signal?: AbortSignal): SkillError {
  if (err instanceof SkillError) return err;
  // User modules cannot share our class across module graphs; the name and a code suffice.
  const named = (err ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  if (named.name === 'SkillError' && typeof named.code === 'string' && ERROR_CODE.test(named.code)) return new SkillError(named.code, String(named.message));
  if (signal?.aborted) return new SkillError('cancelled', `${skill}: cancelled${reasonText(signal.reason)}`);
  const message = err instanceof Error ? err.message : String(err);
  return new SkillError('skill-failed', `${skill}: ${message}`);
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error && reason.name !== 'AbortError') return ` (${reason.message})`;
  return typeof reason === 'string' ? ` (${reason})` : '';
}
