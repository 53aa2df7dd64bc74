import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, parseApiKeys } from '../../server/config.ts';
import { execForm, parseDockerfile } from '../helpers/dockerfile.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

/**
 * No Docker engine here: this checks compose.yaml with .env.example the way `docker compose`
 * would read them (variables interpolated), against the server's own config rules.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const raw = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
const dotenv = Object.fromEntries(
  readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
) as Record<string, string>;

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error} (unset and empty alike). */
function interpolate(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
      const v = vars[name];
      if (v) return v;
      if (op === '?') throw new Error(`compose would refuse to start: ${arg}`);
      return op === '-' ? arg ?? '' : '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  return value;
}

interface Service {
  restart?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  command?: string[];
  healthcheck?: { test: string[] };
  deploy?: { resources?: { limits?: { memory?: string } } };
  depends_on?: Record<string, { condition: string }>;
}
const compose = interpolate(parse(raw), dotenv) as { services: Record<string, Service> };
const { server, turn, node } = compose.services as Record<'server' | 'turn' | 'node', Service>;
let started: ServerProcess | undefined;

afterAll(async () => {
  await started?.stop();
});

describe('compose.yaml with .env.example', () => {
  test('every variable compose.yaml reads is documented in .env.example', () => {
    const used = [...new Set([...raw.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!))];
    expect(used.filter((v) => !(v in dotenv))).toEqual([]);
  });

  test('without a .env, compose refuses to start rather than run with no keys', () => {
    expect(() => interpolate(parse(raw), {})).toThrow(/TABMESH_API_KEYS/);
  });

  test('every service restarts, has a healthcheck and a memory limit; extras sit behind profiles', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.restart, name).toMatch(/^(unless-stopped|always|on-failure)/);
      expect(svc.healthcheck?.test?.[0], name).toBe('CMD');
      expect(svc.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[MG]$/);
    }
    expect(server.profiles).toBeUndefined();
    expect(turn.profiles).toEqual(['turn']);
    expect(node.profiles).toEqual(['node']);
  });

  test('the server environment passes the server\'s config validation', () => {
    const config = loadConfig(server.environment!);
    expect(config.turnUrls).toEqual(dotenv.TURN_URLS!.split(','));
    expect(config.turnSecret).toBe(dotenv.TURN_SECRET);
    expect(config.apiKeys.map((k) => k.role)).toEqual(['admin', 'agent']);
    // Same probe as the image's HEALTHCHECK.
    const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).at(-1)!;
    const imageCheck = execForm(dockerfile.instructions.find((i) => i.op === 'HEALTHCHECK')!.args);
    expect(server.healthcheck!.test.slice(1)).toEqual(imageCheck);
  });

  test('coturn shares the server\'s TURN secret and the relay port range from .env', () => {
    const args = turn.command!;
    expect(args).toContain('--use-auth-secret');
    expect(args).toContain(`--static-auth-secret=${server.environment!.TURN_SECRET}`);
    expect(args).toContain(`--listening-port=${dotenv.TURN_PORT}`);
    expect(args).toContain(`--min-port=${dotenv.TURN_MIN_PORT}`);
    expect(args).toContain(`--max-port=${dotenv.TURN_MAX_PORT}`);
    for (const url of loadConfig(server.environment!).turnUrls) expect(url).toContain(`:${dotenv.TURN_PORT}`);
  });

  test('the example node joins the server with one of its agent keys once the server is healthy', () => {
    const args = node.command!;
    expect(args.slice(0, 3)).toEqual(['node', 'bin/tabmesh.js', 'node']);
    expect(args[args.indexOf('--url') + 1]).toBe('http://server:8787');
    const key = args[args.indexOf('--key') + 1];
    const agentKeys = parseApiKeys(server.environment!.TABMESH_API_KEYS!).filter((k) => k.role === 'agent').map((k) => k.key);
    expect(agentKeys).toContain(key);
    expect(node.depends_on).toEqual({ server: { condition: 'service_healthy' } });
  });

  test('a real server started with that environment answers /health', async () => {
    started = await startServer({ env: { ...server.environment!, HOST: '127.0.0.1', PORT: '0' } });
    const res = await fetch(`${started.url}/health`);
    expect(res.status).toBe(200);
  });
});
