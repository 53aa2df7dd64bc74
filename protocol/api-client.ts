/** A refused or failed request to the server; `status` 0 means the network failed. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Fetches `path` on this origin and returns the parsed JSON body. Non-2xx answers become
 * `ApiError` with the server's `{error:{code,message}}`; a body-less 204 yields `undefined`.
 */
export async function requestJson<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, body, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', `cannot reach the server (${(err as Error).message})`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(res.status, 'bad-response', `server sent non-JSON (HTTP ${res.status})`);
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `http-${res.status}`, e?.message ?? `HTTP ${res.status}`);
  }
  return parsed as T;
}
