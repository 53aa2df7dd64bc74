import * as v from 'valibot';

/** Outcome of validating untrusted input: the typed value, or the first problem with its field path. */
export type Validated<T> =
  | { ok: true; value: T }
  | { ok: false; field: string; message: string };

// Built once: this runs for every signaling frame.
const ABORT_EARLY = { abortEarly: true } as const;

/** Validates `input` against `schema`; never throws, reports the first issue as `field` + rule. */
export function validate<S extends v.GenericSchema>(schema: S, input: unknown): Validated<v.InferOutput<S>> {
  const result = v.safeParse(schema, input, ABORT_EARLY);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const field = v.getDotPath(issue) ?? '(root)';
  return { ok: false, field, message: `${field}: ${ruleOf(issue)}` };
}

/** valibot's wording for a missing key ("Invalid key: Expected …") hides the rule; say it plainly. */
function ruleOf(issue: v.BaseIssue<unknown>): string {
  if (issue.path?.at(-1)?.origin === 'key') return 'is required';
  if (issue.kind === 'schema' && issue.type === 'object' && issue.message.startsWith('Invalid type')) return 'must be an object';
  return issue.message;
}

/** Parses JSON text without throwing: `undefined` marks bad JSON (JSON itself never yields it). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * True when a validator's `output` kept every key of `input`: valibot objects drop unknown keys,
 * so equal key counts all the way down mean nothing was stripped and the input's own text may
 * stand for the output. Slots passed through untouched (`v.unknown()`) are the same reference.
 */
export function keptEveryKey(output: unknown, input: unknown): boolean {
  if (output === input || typeof output !== 'object' || output === null) return true;
  if (typeof input !== 'object' || input === null) return false;
  if (Array.isArray(output)) return Array.isArray(input) && output.length === input.length && output.every((o, i) => keptEveryKey(o, input[i]));
  let inputKeys = 0;
  for (const k in input) if (Object.hasOwn(input, k)) inputKeys++;
  let outputKeys = 0;
  for (const k in output) {
    if (!Object.hasOwn(output, k)) continue;
    outputKeys++;
    if (!keptEveryKey((output as Record<string, unknown>)[k], (input as Record<string, unknown>)[k])) return false;
  }
  return inputKeys === outputKeys;
}
