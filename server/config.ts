import { parseTrustProxy, TRUST_PROXY_RULE, type TrustProxy } from './http/client-address.ts';
import type { Role } from '../protocol/index.ts';

/** A bad environment value: names the variable and the rule so the operator can fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly variable: string, rule: string, value: string) {
    super(`${variable} ${rule} (got ${JSON.stringify(value)})`);
  }
}

export type StoreKind = 'embedded' | 'memory' | 'redis';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ApiKeyEntry {
  role: Role;
  key: string;
  mesh: string;
}

export interface Config {
  port: number;
  host: string;
  /** Empty when none configured: the entry then creates or reuses an admin key in `dataDir`. */
  apiKeys: ApiKeyEntry[];
  /** Undefined: the entry creates or reuses one in `dataDir`. */
  jwtSecret: string | undefined;
  tokenTtlSeconds: number;
  dataDir: string;
  maxPeersPerMesh: number;
  maxFrameBytes: number;
  rateLimitPerSec: number;
  /** Bytes of `relay` frames per second per socket (the fallback tier), apart from the frame rate. */
  relayBytesPerSec: number;
  /** At most one presence frame per peer per this many ms. */
  presenceIntervalMs: number;
  authTimeoutMs: number;
  idleTimeoutMs: number;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;
  corsOrigins: string[];
  publicUrl: string | undefined;
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | undefined;
  turnCredentialTtlSeconds: number;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  redisUrl: string | undefined;
  /** Where the control plane's state lives: the database file in `dataDir` unless told otherwise. */
  store: StoreKind;
  /** SQLite synchronous level of the embedded store (`full` also survives power loss). */
  storeSync: 'normal' | 'full';
  hubDir: string | undefined;
  /** Whose `Forwarded` / `X-Forwarded-For` to believe for the client address (none by default). */
  trustProxy: TrustProxy;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}`, raw);
  }
  return n;
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function opt(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

const KEY_RULE = 'must be comma-separated role:key[:mesh] entries, role admin|agent, key 16-256 chars of A-Z a-z 0-9 _ - . ~, mesh a-z 0-9 _ -';

/** Parses `role:key[:mesh]` entries; the mesh defaults to `default`. */
export function parseApiKeys(raw: string, name = 'TABMESH_API_KEYS'): ApiKeyEntry[] {
  const seen = new Set<string>();
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((entry, i) => {
    const [role, key, mesh = 'default', ...rest] = entry.split(':');
    const problem =
      role !== 'admin' && role !== 'agent' ? 'role' :
      key === undefined || !/^[A-Za-z0-9_.~-]{16,256}$/.test(key) ? 'key' :
      !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(mesh) || rest.length > 0 ? 'mesh' :
      seen.has(key) ? 'duplicate' : undefined;
    // Name the entry and the part at fault but never echo it: a missing "role:" would print the key.
    if (problem === 'duplicate') throw new ConfigError(name, 'must not list the same key twice', `entry ${i + 1}`);
    if (problem) throw new ConfigError(name, KEY_RULE, `entry ${i + 1}: bad ${problem}`);
    seen.add(key!);
    return { role: role as Role, key: key!, mesh };
  });
}

function url(env: Env, name: string, schemes: string[]): string[] {
  const urls = list(env, name);
  for (const u of urls) {
    if (!schemes.some((s) => u.startsWith(`${s}:`))) throw new ConfigError(name, `entries must start with ${schemes.join(': or ')}:`, u);
  }
  return urls;
}

/** Reads and validates the environment; throws `ConfigError` on the first bad value. */
export function loadConfig(env: Env): Config {
  const logLevel = (opt(env, 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of debug, info, warn, error', logLevel);
  }
  const jwtSecret = opt(env, 'TABMESH_JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('TABMESH_JWT_SECRET', 'must be at least 32 characters', '…');
  }
  const corsOrigins = list(env, 'TABMESH_CORS_ORIGINS');
  for (const o of corsOrigins) {
    if (o === '*' || !/^https?:\/\/[^/]+$/.test(o)) {
      throw new ConfigError('TABMESH_CORS_ORIGINS', 'must list origins like https://example.com (no "*", no path)', o);
    }
  }
  const rawPublicUrl = opt(env, 'TABMESH_PUBLIC_URL');
  if (rawPublicUrl !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(rawPublicUrl)) {
    throw new ConfigError('TABMESH_PUBLIC_URL', 'must be an http(s) URL', rawPublicUrl);
  }
  // Links are built as `${publicUrl}/...`: a trailing slash would double up.
  const publicUrl = rawPublicUrl?.replace(/\/+$/, '');
  const turnUrls = url(env, 'TURN_URLS', ['turn', 'turns']);
  const turnSecret = opt(env, 'TURN_SECRET');
  if (turnUrls.length > 0 && turnSecret === undefined) {
    throw new ConfigError('TURN_SECRET', 'must be set when TURN_URLS is set', '');
  }
  const host = opt(env, 'HOST') ?? '0.0.0.0';
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new ConfigError('HOST', 'must be a host name or IP address', host);
  const redisUrl = opt(env, 'TABMESH_REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/\S+$/.test(redisUrl)) {
    // The URL may carry a password: name the rule, not the value.
    throw new ConfigError('TABMESH_REDIS_URL', 'must be a redis:// or rediss:// URL', '…');
  }
  const storeRaw = opt(env, 'TABMESH_STORE');
  if (storeRaw !== undefined && !['embedded', 'memory', 'redis'].includes(storeRaw)) {
    throw new ConfigError('TABMESH_STORE', 'must be one of embedded, memory, redis', storeRaw);
  }
  const store = (storeRaw ?? (redisUrl ? 'redis' : 'embedded')) as StoreKind;
  if ((store === 'redis') !== (redisUrl !== undefined)) {
    throw store === 'redis'
      ? new ConfigError('TABMESH_REDIS_URL', 'must be set when TABMESH_STORE is redis', '')
      : new ConfigError('TABMESH_STORE', 'must be redis (or unset) when TABMESH_REDIS_URL is set', store);
  }
  const storeSync = (opt(env, 'TABMESH_STORE_SYNC') ?? 'normal') as Config['storeSync'];
  if (storeSync !== 'normal' && storeSync !== 'full') throw new ConfigError('TABMESH_STORE_SYNC', 'must be normal or full', storeSync);
  const tlsCertFile = opt(env, 'TLS_CERT_FILE');
  const tlsKeyFile = opt(env, 'TLS_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError(tlsCertFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE', 'must be set together with the other TLS_*_FILE', '');
  }
  const trustProxy = parseTrustProxy(env.TABMESH_TRUST_PROXY);
  if (!trustProxy) throw new ConfigError('TABMESH_TRUST_PROXY', TRUST_PROXY_RULE, env.TABMESH_TRUST_PROXY ?? '');
  return {
    port: int(env, 'PORT', 8787, 0, 65535),
    host,
    apiKeys: parseApiKeys(env.TABMESH_API_KEYS ?? ''),
    jwtSecret,
    // The 5 s floor exists so tests can watch a token expire; production TTLs are minutes.
    tokenTtlSeconds: int(env, 'TABMESH_TOKEN_TTL_SECONDS', 300, 5, 86_400),
    dataDir: opt(env, 'TABMESH_DATA_DIR') ?? '.tabmesh',
    maxPeersPerMesh: int(env, 'TABMESH_MAX_PEERS_PER_MESH', 256, 1, 100_000),
    maxFrameBytes: int(env, 'TABMESH_MAX_FRAME_BYTES', 65_536, 1024, 16 * 1024 * 1024),
    rateLimitPerSec: int(env, 'TABMESH_RATE_LIMIT_PER_SEC', 100, 1, 1_000_000),
    relayBytesPerSec: int(env, 'TABMESH_RELAY_BYTES_PER_SEC', 32 * 1024 * 1024, 65_536, 1_073_741_824),
    presenceIntervalMs: int(env, 'TABMESH_PRESENCE_INTERVAL_MS', 500, 0, 60_000),
    authTimeoutMs: int(env, 'TABMESH_AUTH_TIMEOUT_MS', 5000, 100, 60_000),
    idleTimeoutMs: int(env, 'TABMESH_IDLE_TIMEOUT_MS', 30_000, 1000, 600_000),
    shutdownTimeoutMs: int(env, 'TABMESH_SHUTDOWN_TIMEOUT_MS', 8000, 100, 60_000),
    logLevel,
    corsOrigins,
    publicUrl,
    stunUrls: url(env, 'STUN_URLS', ['stun', 'stuns']),
    turnUrls,
    turnSecret,
    turnCredentialTtlSeconds: int(env, 'TURN_CREDENTIAL_TTL_SECONDS', 3600, 60, 7 * 86_400),
    tlsCertFile,
    tlsKeyFile,
    redisUrl,
    store,
    storeSync,
    hubDir: opt(env, 'TABMESH_HUB_DIR'),
    trustProxy,
  };
}
