import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CheckResult } from '../../headless-node/doctor/check-result.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';
import { freePort } from '../helpers/free-port.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { runCli } from '../node-peer/helpers/tabmesh-cli.ts';

const secret = randomBytes(24).toString('base64url');
const key = `agent-${randomBytes(12).toString('hex')}`;
let coturn: Coturn;
let withTurn: ServerProcess;
let wrongSecret: ServerProcess;
let turnDown: ServerProcess;

beforeAll(async () => {
  coturn = await startCoturn({ secret });
  const apiKeys = { TABMESH_API_KEYS: `agent:${key}` };
  [withTurn, wrongSecret, turnDown] = await Promise.all([
    startServer({ env: { ...apiKeys, STUN_URLS: coturn.stunUrl, TURN_URLS: coturn.turnUrl, TURN_SECRET: secret } }),
    startServer({ env: { ...apiKeys, TURN_URLS: coturn.turnUrl, TURN_SECRET: `not-${secret}` } }),
    startServer({ env: { ...apiKeys, TURN_URLS: `turn:127.0.0.1:${await freePort()}?transport=udp`, TURN_SECRET: secret } }),
  ]);
});

afterAll(async () => {
  await Promise.allSettled([withTurn?.stop(), wrongSecret?.stop(), turnDown?.stop(), coturn?.stop()]);
});

async function doctor(url: string, ...extra: string[]): Promise<{ code: number | null; ok: boolean; checks: CheckResult[] }> {
  const run = await runCli(['doctor', '--url', url, '--bind-address', '127.0.0.1', '--timeout-ms', '2000', '--json', ...extra]);
  return { code: run.code, ...(JSON.parse(run.stdout) as { ok: boolean; checks: CheckResult[] }) };
}

const titled = (checks: CheckResult[], re: RegExp) => checks.find((c) => re.test(c.title));

describe('tabmesh doctor against a real server and coturn', () => {
  test('all green: server, key, signaling, STUN round trip, TURN credential and a relay candidate', async () => {
    const { code, ok, checks } = await doctor(withTurn.url, '--key', key);
    expect({ code, ok, failed: checks.filter((c) => c.status !== 'ok') }).toEqual({ code: 0, ok: true, failed: [] });
    expect(checks.map((c) => c.title)).toEqual([
      expect.stringMatching(/^Node\.js 2\d|^Node\.js \d{2,}/),
      expect.stringMatching(/^node-datachannel [\d.]+ loads/),
      expect.stringMatching(/^server reachable: .*\/health 200, tabmesh /),
      'key accepted: role agent in mesh "default"',
      expect.stringMatching(/^signaling WebSocket ws:.*hello → welcome/),
      'ICE config: 1 STUN and 1 TURN URL',
      expect.stringMatching(new RegExp(`^${coturn.stunUrl}: STUN round trip .* server reflexive address 127\\.0\\.0\\.1:\\d+ \\(no NAT in between\\)`)),
      expect.stringContaining(`TURN credential accepted, relay address ${coturn.relayIp}:`),
      expect.stringContaining(`node-datachannel gathered a relay candidate ${coturn.relayIp}:`),
    ]);
  });

  test('text output says all checks passed', async () => {
    const run = await runCli(['doctor', '--url', withTurn.url, '--key', key, '--bind-address', '127.0.0.1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[ ok ] key accepted');
    expect(run.stdout.trim().endsWith('All checks passed.')).toBe(true);
  });

  test('a wrong key is reported in plain words and fails', async () => {
    const { code, checks } = await doctor(withTurn.url, '--key', `agent-${randomBytes(12).toString('hex')}`);
    expect(code).toBe(1);
    expect(titled(checks, /refused the key/)).toMatchObject({ status: 'fail', fix: expect.stringContaining('TABMESH_API_KEYS') });
  });

  test('a server that is not running: nothing listening, later checks skipped', async () => {
    const port = await freePort();
    const { code, checks } = await doctor(`http://127.0.0.1:${port}`, '--key', key);
    expect(code).toBe(1);
    expect(titled(checks, /cannot reach the server/)).toMatchObject({ status: 'fail', title: expect.stringContaining(`nothing is listening at 127.0.0.1:${port}`) });
    expect(checks.at(-1)).toMatchObject({ status: 'skip' });
  });

  test('TURN_SECRET differing from coturn\'s static-auth-secret: credential refused (401)', async () => {
    const { code, checks } = await doctor(wrongSecret.url, '--key', key);
    expect(code).toBe(1);
    expect(titled(checks, /refused the credential/)).toMatchObject({
      status: 'fail', title: `${coturn.turnUrl}: the TURN server refused the credential (401 Unauthorized)`, fix: expect.stringContaining('static-auth-secret'),
    });
  });

  test('a TURN server that does not answer is reported as unreachable', async () => {
    const { code, checks } = await doctor(turnDown.url, '--key', key);
    expect(code).toBe(1);
    expect(titled(checks, /no TURN answer/)).toMatchObject({ status: 'fail', fix: expect.stringContaining('blocked') });
  });

  test('bad usage exits 2 with a message', async () => {
    const run = await runCli(['doctor', '--url', 'ftp://example.com']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--url must be an http:// or https:// URL');
  });
});
