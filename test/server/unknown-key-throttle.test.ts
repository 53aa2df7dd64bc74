import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_KEYS_PER_MINUTE } from '../../server/auth/unknown-key-throttle.ts';
import { requestFrom } from '../helpers/http-from.ts';
import { keyedToken } from '../helpers/keyed-token.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

const ADMIN = 'admin-key-unknown-key-throttle-01';
const AGENT = 'agent-key-unknown-key-throttle-01';

describe('unknown API keys are throttled per client address, valid keys never', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { TABMESH_API_KEYS: `admin:${ADMIN},agent:${AGENT}` } });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const from = (addr: string, path: string, key: string, body?: unknown) =>
    requestFrom(`${server.url}${path}`, addr, path === '/metrics' ? 'GET' : 'POST', body, { 'x-api-key': key });

  it(`answers 429 with Retry-After after ${UNKNOWN_KEYS_PER_MINUTE} unknown keys a minute, on every key route`, async () => {
    const statuses = [];
    for (let i = 0; i < UNKNOWN_KEYS_PER_MINUTE; i++) {
      const path = ['/api/token', '/api/token/nonce', '/metrics'][i % 3]!;
      statuses.push((await from('127.0.0.2', path, `guess-${i}-0123456789abcdef`, path === '/api/token' ? { peerId: 'x' } : undefined)).status);
    }
    expect(statuses).toEqual(Array(UNKNOWN_KEYS_PER_MINUTE).fill(401));
    for (const path of ['/api/token', '/api/token/nonce', '/metrics']) {
      const refused = await from('127.0.0.2', path, 'guess-more-0123456789abcdef');
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('too-many-attempts');
      expect(refused.headers['retry-after']).toBe('60');
    }
    // A good key from the throttled address still works: clients behind one shared (untrusted
    // proxy) address must not be locked out by a stranger's guesses …
    expect((await from('127.0.0.2', '/api/token/nonce', AGENT)).status).toBe(200);
    expect((await from('127.0.0.2', '/api/token/nonce', 'guess-after-good-0123456789abcdef')).status).toBe(429);
    // … and another client is not affected at all.
    const other = await keyedToken(server.url, AGENT);
    expect(other.token).toMatch(/^eyJ/);
    expect((await from('127.0.0.3', '/api/token/nonce', AGENT)).status).toBe(200);
  });

  it('throttles unknown keys sent as the A2A bearer value the same way; JWT-shaped bearers are not key guesses', async () => {
    const a2a = (path: string, bearer: string) =>
      requestFrom(`${server.url}${path}`, '127.0.0.5', path.endsWith('.json') ? 'GET' : 'POST', path.endsWith('.json') ? undefined : { jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } }, { authorization: `Bearer ${bearer}` });
    const paths = ['/a2a', '/.well-known/agent-card.json', '/a2a/agents/some-agent', '/a2a/agents/some-agent/.well-known/agent-card.json'];
    // Bad JWTs are answered 401 but not counted: an expired token is a client's routine, not a guess.
    for (let i = 0; i < UNKNOWN_KEYS_PER_MINUTE + 5; i++) expect((await a2a('/a2a', 'eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.bad-signature')).status).toBe(401);
    const statuses = [];
    for (let i = 0; i < UNKNOWN_KEYS_PER_MINUTE; i++) statuses.push((await a2a(paths[i % paths.length]!, `guess-${i}-0123456789abcdef`)).status);
    expect(statuses).toEqual(Array(UNKNOWN_KEYS_PER_MINUTE).fill(401));
    for (const path of paths) {
      const refused = await a2a(path, 'guess-more-0123456789abcdef');
      expect([refused.status, refused.body.error.code, refused.headers['retry-after']], path).toEqual([429, 'too-many-attempts', '60']);
    }
    // The counter is the one /api/token uses: the same address is throttled there too …
    expect((await from('127.0.0.5', '/api/token/nonce', 'guess-elsewhere-0123456789abcdef')).status).toBe(429);
    // … and a valid key as the bearer still works from it.
    const ok = await a2a('/a2a', AGENT);
    expect(ok.status).toBe(200);
  });

  it('valid keys do not count: three times the limit in a row from one address all succeed', async () => {
    const statuses = [];
    for (let i = 0; i < UNKNOWN_KEYS_PER_MINUTE * 3; i++) {
      const path = i % 2 ? '/api/token/nonce' : '/metrics';
      statuses.push((await from('127.0.0.4', path, path === '/metrics' ? ADMIN : AGENT)).status);
    }
    expect(statuses).toEqual(Array(UNKNOWN_KEYS_PER_MINUTE * 3).fill(200));
    // A few mistakes from a client that mostly uses good keys do not lock it out either.
    for (let i = 0; i < UNKNOWN_KEYS_PER_MINUTE - 1; i++) expect((await from('127.0.0.4', '/api/token/nonce', `typo-${i}-0123456789abcdef`)).status).toBe(401);
    expect((await from('127.0.0.4', '/api/token/nonce', AGENT)).status).toBe(200);
  });
});
