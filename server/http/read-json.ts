import type { Context } from 'hono';
import type * as v from 'valibot';
import { validate } from '../protocol.ts';
import { HttpError } from './http-error.ts';

/** Reads and validates a JSON body, capped at `maxBytes` (default 64 KiB); throws 400/413 `HttpError`. */
export async function readJson<S extends v.GenericSchema>(c: Context, schema: S, maxBytes = 65_536): Promise<v.InferOutput<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/json')) {
    throw new HttpError(415, 'unsupported-media-type', 'body must be application/json');
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) throw new HttpError(413, 'body-too-large', `body must be at most ${maxBytes} bytes`);
  const text = await c.req.text();
  if (new TextEncoder().encode(text).byteLength > maxBytes) {
    throw new HttpError(413, 'body-too-large', `body must be at most ${maxBytes} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad-json', 'body is not valid JSON');
  }
  const r = validate(schema, json);
  if (!r.ok) throw new HttpError(400, 'invalid-body', r.message);
  return r.value;
}
