import { existsSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getToken, startServer, type Runtime } from '../helpers/server-process.ts';
import { joinWith, openSocket } from '../helpers/ws-client.ts';

const ADMIN = 'admin-key-for-log-test-0123456789';
const AGENT = 'agent-key-for-log-test-0123456789';
const JWT_SECRET = 'jwt-secret-for-log-test-0123456789-abcdef';

describe.each<Runtime>(['node', 'deno'])('startup and secrets on %s', (runtime) => {
  it('exits 1 on a bad value, printing the variable and the rule', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ TABMESH_MAX_FRAME_BYTES: '12' }, /TABMESH_MAX_FRAME_BYTES must be an integer from 1024 to 16777216 \(got "12"\)/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of debug, info, warn, error/],
      [{ TABMESH_API_KEYS: 'admin:Secret-Key-Without-Role-Prefix'.slice(6) }, /TABMESH_API_KEYS must be comma-separated role:key/],
    ];
    for (const [env, message] of cases) {
      const err = await startServer({ runtime, env }).then(() => undefined, (e: Error) => e);
      expect(err?.message, JSON.stringify(env)).toMatch(/server exited with 1/);
      expect(err?.message).toMatch(message);
      expect(err?.message).not.toContain('Secret-Key-Without');
    }
  });

  it('zero config: the first start creates a 0600 admin key and prints it once; the next start reuses it silently', async () => {
    const first = await startServer({ runtime });
    const key = first.adminKey!;
    // Never starting with '-': `tabmesh doctor --key <key>` would read it as an option.
    expect(key).toMatch(/^tma_[A-Za-z0-9_-]{32}$/);
    const out = first.stdout.join('\n');
    expect(out).toContain(`Open the hub as admin: http://127.0.0.1:${first.port}/#admin=${key}`);
    expect(out.split(key).length - 1).toBe(2);
    const keyFile = join(first.dataDir, 'admin.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // The JWT secret (and the key) live in the database; admin.key is the readable copy.
    expect(existsSync(join(first.dataDir, 'jwt-secret'))).toBe(false);
    expect(statSync(join(first.dataDir, 'tabmesh.db')).mode & 0o777).toBe(0o600);
    expect(statSync(first.dataDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(`admin:${key}`);
    const token = await getToken(first.url, key, 'zero-1');
    expect(await first.stop()).toBe(0);

    const second = await startServer({ runtime, dataDir: first.dataDir });
    expect(second.stdout.join('\n')).not.toContain(key);
    expect(second.stdout.join('\n')).toContain(`Admin key: stored in ${keyFile}; open the hub as admin at `);
    expect(second.stdout.join('\n')).toMatch(/at http:\/\/\S+:\d+\/#admin=<the key in that file>/);
    expect(second.stderr.join('\n')).not.toContain(key);
    // Same key, same JWT secret: credentials and tokens from before the restart still work.
    await getToken(second.url, key, 'zero-2');
    const whoami = await fetch(`${second.url}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(whoami.status).toBe(200);
    await second.stop();
  });

  it('never logs keys, the JWT secret or tokens, even at LOG_LEVEL=debug', async () => {
    const server = await startServer({
      runtime,
      env: { LOG_LEVEL: 'debug', TABMESH_API_KEYS: `admin:${ADMIN},agent:${AGENT}`, TABMESH_JWT_SECRET: JWT_SECRET },
    });
    const tokens = [await getToken(server.url, ADMIN, 'log-a'), await getToken(server.url, AGENT, 'log-b')];
    await fetch(`${server.url}/api/token`, { method: 'POST', headers: { 'x-api-key': `${AGENT}x`, 'content-type': 'application/json' }, body: '{"peerId":"x"}' });
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${tokens[1]}` } });
    await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': ADMIN } });
    const a = await joinWith(server.wsUrl, tokens[0]!);
    const b = await joinWith(server.wsUrl, tokens[1]!);
    a.send({ type: 'auth', token: tokens[1] });
    await a.next('error');
    a.send({ type: 'auth', token: `${tokens[0]}x` });
    await a.next('error');
    const bad = await openSocket(server.wsUrl);
    bad.send({ type: 'hello', token: `${tokens[0]!.slice(0, -2)}xx` });
    await bad.closed;
    a.close();
    await b.next('peer-left');
    b.close();
    expect(await server.stop()).toBe(0);

    const logs = server.stderr.join('\n');
    expect(logs).toContain('"level":"debug"');
    expect(logs).toContain('peer joined');
    for (const line of server.stderr) expect(JSON.parse(line), line).toMatchObject({ time: expect.any(String), level: expect.any(String), msg: expect.any(String) });
    const everything = logs + server.stdout.join('\n');
    for (const secret of [ADMIN, AGENT, JWT_SECRET, ...tokens, ...tokens.map((t) => t.split('.')[2]!)]) {
      expect(everything).not.toContain(secret);
    }
  });
});
