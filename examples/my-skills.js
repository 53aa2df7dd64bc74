// A tabmesh skills module: load it with `tabmesh node … --skills-module ./examples/my-skills.js`.
// Every exported function with a `description` becomes a skill named after the export
// (camelCase → kebab-case: `wordCount` → `word-count`). It runs in a worker thread.

/** A plain async function: its return value is the output. */
export async function wordCount({ text }) {
  const words = text.trim() === '' ? [] : text.trim().split(/\s+/u);
  return { words: words.length, characters: text.length };
}
wordCount.description = 'Counts the words and characters in a text.';
wordCount.inputSchema = {
  type: 'object',
  properties: { text: { type: 'string', maxLength: 1000000 } },
  required: ['text'],
  additionalProperties: false,
};

/**
 * An async generator streams: each `yield` is a chunk the caller sees as it happens, the
 * `return` value is the final output. `signal` aborts when the caller cancels or times out.
 */
export async function* countdown({ from = 3, delayMs = 0 }, { signal }) {
  for (let n = from; n > 0; n--) {
    yield n;
    if (delayMs) await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, delayMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });
  }
  return 'liftoff';
}
countdown.description = 'Counts down from `from` to 1, one chunk per number, then returns "liftoff".';
countdown.inputSchema = {
  type: 'object',
  properties: {
    from: { type: 'integer', minimum: 1, maximum: 1000 },
    delayMs: { type: 'integer', minimum: 0, maximum: 10000 },
  },
  additionalProperties: false,
};

// Exports that are not functions with a description are ignored, so helpers can live here too.
export const VERSION = '1.0.0';
