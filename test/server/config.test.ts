import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseApiKeys } from '../../server/config.ts';
import { envVarsReadByConfig } from './support/source-facts.ts';

const KEY = 'k'.repeat(16);

describe('loadConfig defaults', () => {
  it('starts with zero config and these defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 8787,
      host: '0.0.0.0',
      apiKeys: [],
      jwtSecret: undefined,
      tokenTtlSeconds: 300,
      dataDir: '.tabmesh',
      maxPeersPerMesh: 256,
      maxFrameBytes: 65_536,
      rateLimitPerSec: 100,
      relayBytesPerSec: 33_554_432,
      presenceIntervalMs: 500,
      authTimeoutMs: 5000,
      idleTimeoutMs: 30_000,
      shutdownTimeoutMs: 8000,
      logLevel: 'info',
      corsOrigins: [],
      publicUrl: undefined,
      stunUrls: [],
      turnUrls: [],
      turnSecret: undefined,
      turnCredentialTtlSeconds: 3600,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
      redisUrl: undefined,
      store: 'embedded',
      storeSync: 'normal',
      hubDir: undefined,
      trustProxy: { kind: 'none' },
    });
  });

  it('treats empty and blank values as unset', () => {
    const blank = Object.fromEntries(envVarsReadByConfig().map((name) => [name, '  ']));
    expect(loadConfig(blank)).toEqual(loadConfig({}));
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '9000', HOST: '127.0.0.1', TABMESH_API_KEYS: `admin:${KEY}, agent:${'a'.repeat(20)}:lab-2`,
      TABMESH_JWT_SECRET: 's'.repeat(32), TABMESH_TOKEN_TTL_SECONDS: '5', TABMESH_DATA_DIR: '/var/lib/tabmesh',
      TABMESH_MAX_PEERS_PER_MESH: '2', TABMESH_MAX_FRAME_BYTES: '1024', TABMESH_RATE_LIMIT_PER_SEC: '1',
      TABMESH_RELAY_BYTES_PER_SEC: '65536', TABMESH_PRESENCE_INTERVAL_MS: '0',
      TABMESH_AUTH_TIMEOUT_MS: '100', TABMESH_IDLE_TIMEOUT_MS: '1000', TABMESH_SHUTDOWN_TIMEOUT_MS: '60000', LOG_LEVEL: 'debug',
      TABMESH_CORS_ORIGINS: 'https://a.example, http://localhost:5173', TABMESH_PUBLIC_URL: 'https://mesh.example/',
      STUN_URLS: 'stun:10.0.0.1:3478', TURN_URLS: 'turns:t.example:5349', TURN_SECRET: 'shh', TURN_CREDENTIAL_TTL_SECONDS: '60',
      TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem', TABMESH_REDIS_URL: 'redis://127.0.0.1:6379/0', TABMESH_HUB_DIR: '/srv/hub',
      TABMESH_TRUST_PROXY: '2',
      TABMESH_STORE: 'redis', TABMESH_STORE_SYNC: 'full',
    });
    expect(c).toEqual({
      port: 9000, host: '127.0.0.1',
      apiKeys: [{ role: 'admin', key: KEY, mesh: 'default' }, { role: 'agent', key: 'a'.repeat(20), mesh: 'lab-2' }],
      jwtSecret: 's'.repeat(32), tokenTtlSeconds: 5, dataDir: '/var/lib/tabmesh', maxPeersPerMesh: 2, maxFrameBytes: 1024,
      rateLimitPerSec: 1, relayBytesPerSec: 65_536, presenceIntervalMs: 0, authTimeoutMs: 100, idleTimeoutMs: 1000, shutdownTimeoutMs: 60_000, logLevel: 'debug',
      corsOrigins: ['https://a.example', 'http://localhost:5173'], publicUrl: 'https://mesh.example',
      stunUrls: ['stun:10.0.0.1:3478'], turnUrls: ['turns:t.example:5349'], turnSecret: 'shh', turnCredentialTtlSeconds: 60,
      tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem', redisUrl: 'redis://127.0.0.1:6379/0', hubDir: '/srv/hub',
      trustProxy: { kind: 'hops', hops: 2 },
      store: 'redis', storeSync: 'full',
    });
  });
});

// [variable, bad value, words the rule must contain, extra env needed to reach the check]
const BAD: Array<[string, string, string, Record<string, string>?]> = [
  ['PORT', '-1', 'integer from 0 to 65535'],
  ['PORT', '65536', 'integer from 0 to 65535'],
  ['PORT', '80abc', 'integer'],
  ['PORT', '1e3', 'integer'],
  ['HOST', 'local host', 'host name or IP'],
  ['TABMESH_API_KEYS', 'root:' + KEY, 'role admin|agent'],
  ['TABMESH_API_KEYS', 'admin:short', 'key 16-256 chars'],
  ['TABMESH_API_KEYS', `agent:${KEY}:Mesh!`, 'mesh a-z 0-9'],
  ['TABMESH_API_KEYS', `agent:${KEY}:m:extra`, 'role:key[:mesh]'],
  ['TABMESH_API_KEYS', `admin:${KEY},agent:${KEY}`, 'same key twice'],
  ['TABMESH_JWT_SECRET', 'too-short', 'at least 32 characters'],
  ['TABMESH_TOKEN_TTL_SECONDS', '4', 'integer from 5 to 86400'],
  ['TABMESH_TOKEN_TTL_SECONDS', '86401', 'integer from 5 to 86400'],
  ['TABMESH_MAX_PEERS_PER_MESH', '0', 'integer from 1 to 100000'],
  ['TABMESH_MAX_FRAME_BYTES', '1023', 'integer from 1024 to 16777216'],
  ['TABMESH_MAX_FRAME_BYTES', '64k', 'integer'],
  ['TABMESH_RATE_LIMIT_PER_SEC', '0', 'integer from 1 to 1000000'],
  ['TABMESH_RELAY_BYTES_PER_SEC', '65535', 'integer from 65536 to 1073741824'],
  ['TABMESH_PRESENCE_INTERVAL_MS', '60001', 'integer from 0 to 60000'],
  ['TABMESH_AUTH_TIMEOUT_MS', '99', 'integer from 100 to 60000'],
  ['TABMESH_IDLE_TIMEOUT_MS', '999', 'integer from 1000 to 600000'],
  ['TABMESH_SHUTDOWN_TIMEOUT_MS', '60001', 'integer from 100 to 60000'],
  ['LOG_LEVEL', 'verbose', 'one of debug, info, warn, error'],
  ['TABMESH_CORS_ORIGINS', '*', 'no "*"'],
  ['TABMESH_CORS_ORIGINS', 'https://a.example/path', 'no path'],
  ['TABMESH_CORS_ORIGINS', 'a.example', 'origins like https://example.com'],
  ['TABMESH_PUBLIC_URL', 'mesh.example', 'http(s) URL'],
  ['TABMESH_PUBLIC_URL', 'ftp://mesh.example', 'http(s) URL'],
  ['STUN_URLS', 'http://stun.example', 'stun: or stuns:'],
  ['TURN_URLS', 'stun:t.example', 'turn: or turns:', { TURN_SECRET: 's' }],
  ['TURN_SECRET', '', 'must be set when TURN_URLS is set', { TURN_URLS: 'turn:t.example' }],
  ['TURN_CREDENTIAL_TTL_SECONDS', '59', 'integer from 60 to 604800'],
  ['TLS_CERT_FILE', '', 'set together', { TLS_KEY_FILE: '/k.pem' }],
  ['TLS_KEY_FILE', '', 'set together', { TLS_CERT_FILE: '/c.pem' }],
  ['TABMESH_REDIS_URL', 'http://127.0.0.1:6379', 'redis:// or rediss://'],
  ['TABMESH_TRUST_PROXY', '11', 'hop count (0-10)'],
  ['TABMESH_TRUST_PROXY', '10.0.0.0/33', 'CIDR ranges'],
  ['TABMESH_TRUST_PROXY', 'proxy.example', 'CIDR ranges'],
  ['TABMESH_REDIS_URL', '', 'must be set when TABMESH_STORE is redis', { TABMESH_STORE: 'redis' }],
  ['TABMESH_STORE', 'sqlite', 'one of embedded, memory, redis'],
  ['TABMESH_STORE', 'memory', 'must be redis (or unset) when TABMESH_REDIS_URL is set', { TABMESH_REDIS_URL: 'redis://127.0.0.1:6379' }],
  ['TABMESH_STORE_SYNC', 'off', 'must be normal or full'],
];
// Free-form by design: any path or secret is acceptable.
const FREE_FORM = ['TABMESH_DATA_DIR', 'TABMESH_HUB_DIR'];

describe('loadConfig refuses bad values', () => {
  it.each(BAD)('%s=%j → ConfigError naming the variable and the rule', (name, value, rule, extra) => {
    let err: unknown;
    try {
      loadConfig({ ...extra, [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as ConfigError).message.startsWith(`${name} `)).toBe(true);
    expect((err as ConfigError).message).toContain(rule);
  });

  it('has a bad-value case for every validated variable config.ts reads', () => {
    const covered = new Set([...BAD.map(([name]) => name), ...FREE_FORM]);
    expect(envVarsReadByConfig().filter((name) => !covered.has(name))).toEqual([]);
  });

  it('never echoes a key, a JWT secret or a Redis URL back in the error', () => {
    const secret = 'Sup3rSecretValue_0123456789';
    const cases: Record<string, string>[] = [
      { TABMESH_API_KEYS: secret },
      { TABMESH_API_KEYS: `admin:${secret}:BAD MESH` },
      { TABMESH_API_KEYS: `admin:${secret},agent:${secret}` },
      { TABMESH_JWT_SECRET: secret.slice(0, 20) },
      { TABMESH_REDIS_URL: `http://user:${secret}@127.0.0.1` },
    ];
    for (const env of cases) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      try {
        loadConfig(env);
      } catch (e) {
        expect((e as Error).message).not.toContain(secret.slice(0, 16));
      }
    }
  });

  it('names the entry and the part at fault in TABMESH_API_KEYS', () => {
    expect(() => parseApiKeys(`admin:${KEY}, agent:tiny`)).toThrow(/\(got "entry 2: bad key"\)/);
    expect(() => parseApiKeys(`admin:${KEY}`, '/data/admin.key')).not.toThrow();
    expect(() => parseApiKeys('admin:x', '/data/admin.key')).toThrow(/^\/data\/admin\.key /);
  });
});
