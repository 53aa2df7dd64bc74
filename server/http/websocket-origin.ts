/**
 * Which pages may open the signaling WebSocket. Authentication does not depend on this: the
 * token comes in the first frame, never from a cookie, so a foreign page cannot ride on a user's
 * session. The check keeps /ws to the same origins that may call the API (the hub's own origin
 * and `TABMESH_CORS_ORIGINS`), so a page that could not get a token anyway cannot hold
 * unauthenticated sockets open from visitors' browsers either. A request without `Origin` is not
 * a browser (Node peers, the CLI) and is let through: the token decides.
 */
export function websocketOriginAllowed(
  origin: string | null | undefined,
  host: string | null | undefined,
  allowed: { corsOrigins: readonly string[]; publicUrl: string | undefined },
): boolean {
  if (origin === undefined || origin === null) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    // "null" (sandboxed frames, file: pages) and garbage.
    return false;
  }
  if (host && parsed.host === host.toLowerCase()) return true;
  if (allowed.publicUrl && parsed.origin === new URL(allowed.publicUrl).origin) return true;
  return allowed.corsOrigins.includes(parsed.origin);
}

export const FORBIDDEN_ORIGIN_MESSAGE = 'this Origin may not open /ws: only the hub\'s own origin and TABMESH_CORS_ORIGINS';
