import { UsageError } from './command-line.ts';

/** Flags every command that talks to a server accepts. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  token: { type: 'string' },
} as const;

export const CONNECTION_HELP = `  --url URL          server URL, e.g. http://hub.local:8080 (env TABMESH_URL)
  --key KEY          API key (env TABMESH_KEY)
  --token TOKEN      device token from pairing (tmd_…), used like an API key`;

type Env = Readonly<Record<string, string | undefined>>;

/** The server's base URL from --url or TABMESH_URL; http(s) only, no path beyond "/". */
export function readServerUrl(values: { url?: string }, env: Env): string {
  const raw = values.url ?? env.TABMESH_URL;
  if (!raw) throw new UsageError('--url is required (or set TABMESH_URL)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL (got "${raw}")`);
  }
  // Credentials first: the other messages echo the URL.
  if (url.username || url.password) throw new UsageError('--url must not contain credentials; use --key or --token');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be an http:// or https:// URL (got "${raw}")`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/**
 * The credential from --key, --token or TABMESH_KEY (at most one flag). Undefined when none is
 * given and `required` is false (the node command may use a saved device token instead).
 */
export function readCredential(values: { key?: string; token?: string }, env: Env, required = true): string | undefined {
  if (values.key !== undefined && values.token !== undefined) throw new UsageError('give either --key or --token, not both');
  const secret = values.key ?? values.token ?? env.TABMESH_KEY;
  if (secret === undefined) {
    if (required) throw new UsageError('--key is required (or --token, or set TABMESH_KEY)');
    return undefined;
  }
  if (!/^[\x21-\x7e]{8,512}$/.test(secret)) throw new UsageError('--key/--token must be 8-512 printable characters without spaces');
  return secret;
}

/** Server URL and a required credential, for the commands that only talk to the mesh (call, ping, peers). */
export function readConnection(values: { url?: string; key?: string; token?: string }, env: Env): { url: string; secret: string } {
  return { url: readServerUrl(values, env), secret: readCredential(values, env)! };
}
