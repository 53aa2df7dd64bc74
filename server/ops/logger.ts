import type { LogLevel } from '../config.ts';

export type LogFields = Record<string, unknown>;
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
// Any field whose name smells like a credential is replaced, whatever the caller passed.
const SECRET_FIELD = /token|key|secret|password|credential|authorization|cookie/i;

const MAX_DEPTH = 4;

/** Copies `value` for logging: credential-named fields masked at any depth, errors reduced to name + message. */
function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (depth >= MAX_DEPTH) return '[object]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: LogFields = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

/** JSON-lines logger; writes lines at or above `level` to `write` (default: stderr). */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => console.error(line),
  base: LogFields = {},
): Logger {
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const entry = { time: new Date().toISOString(), level: lvl, msg, ...(redact({ ...base, ...fields }) as LogFields) };
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      // A field that cannot be serialised must not turn a log call into a crash.
      line = JSON.stringify({ time: entry.time, level: lvl, msg, logError: 'fields not serialisable' });
    }
    write(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, write, { ...base, ...fields }),
  };
}
