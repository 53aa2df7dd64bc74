import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { startFakeOpenAi, type FakeOpenAi } from './helpers/fake-openai.ts';
import { runCli, startNodePeer, type NodePeer } from './helpers/tabmesh-cli.ts';

const ADMIN_KEY = 'admin-key-for-lifecycle-001';
const AGENT_KEY = 'agent-key-for-lifecycle-001';

let server: ServerProcess;
let admin: string;
const started: NodePeer[] = [];
const node = async (o: Parameters<typeof startNodePeer>[0]) => {
  const n = await startNodePeer(o);
  started.push(n);
  return n;
};
const adminApi = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
  const res = await fetch(`${server.url}/api${path}`, { ...init, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const conn = () => ['--url', server.url, '--key', AGENT_KEY, '--bind-address', '127.0.0.1'];

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY}` } });
  admin = await getToken(server.url, ADMIN_KEY, 'lifecycle-admin');
});
afterAll(async () => {
  await Promise.all(started.map((n) => n.stop('SIGKILL')));
  await server?.stop();
});

describe('tabmesh node lifecycle', () => {
  it('stops cleanly on SIGTERM: deregisters, and the others see it leave', async () => {
    const [stay, leave] = await Promise.all([
      node({ url: server.url, key: AGENT_KEY, name: 'stay', args: ['--skills', 'echo'] }),
      node({ url: server.url, key: AGENT_KEY, name: 'leave', args: ['--skills', 'time'] }),
    ]);
    await stay.waitForLine(new RegExp(`DataChannel to ${leave.peerId} open`));
    const before = await runCli(['call', ...conn(), '--skill', 'time', '--json']);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ peer: leave.peerId });

    expect(await leave.stop('SIGTERM')).toBe(0);
    expect(leave.stderr).toContain('[tabmesh node] shutting down');
    await stay.waitForLine(new RegExp(`peer left: ${leave.peerId}`));
    const { agents } = await adminApi<{ agents: Array<{ peerId: string }> }>('/agents');
    expect(agents.map((a) => a.peerId)).not.toContain(leave.peerId);
    const peers = JSON.parse((await runCli(['peers', '--url', server.url, '--key', AGENT_KEY, '--json'])).stdout) as { peers: Array<{ peerId: string }> };
    expect(peers.peers.map((p) => p.peerId)).toEqual([stay.peerId]);
    const after = await runCli(['call', ...conn(), '--skill', 'time']);
    expect([after.code, after.stderr.trim()]).toEqual([1, 'tabmesh call: no active agent offers skill "time" (start one: tabmesh node --skills time …)']);
    await stay.stop();
  });

  it('pairs with --code, keeps the device token and identity, and stops when revoked', async () => {
    const { code } = await adminApi<{ code: string }>('/pairing/codes', { method: 'POST', body: '{}' });
    const pending = async () => (await adminApi<{ requests: Array<{ id: string; name: string; status: string }> }>('/pairing/requests')).requests.find((r) => r.name === 'kitchen-pi' && r.status === 'pending');
    const joining = node({ url: server.url, name: 'kitchen-pi', args: ['--code', code, '--skills', 'echo'] });
    await expect.poll(pending, { timeout: 15_000 }).toBeTruthy();
    await adminApi(`/pairing/requests/${(await pending())!.id}/approve`, { method: 'POST', body: '{}' });
    const first = await joining;
    expect(first.stderr.join('\n')).toMatch(/pairing request sent as "kitchen-pi"; approve it in the hub/);
    for (const file of ['credential.json', 'identity.json']) expect(statSync(join(first.dataDir, file)).mode & 0o777).toBe(0o600);
    expect(statSync(first.dataDir).mode & 0o777).toBe(0o700);
    expect(await first.stop()).toBe(0);

    // Next start: no code, no key; same identity.
    const again = await node({ url: server.url, name: 'kitchen-pi', dataDir: first.dataDir, args: ['--skills', 'echo'] });
    expect(again.peerId).toBe(first.peerId);
    const echoed = await runCli(['call', ...conn(), '--skill', 'echo', '--to', again.peerId, '--input', '"paired"']);
    expect(echoed.stdout).toBe('paired\n');

    const { devices } = await adminApi<{ devices: Array<{ id: string; name: string }> }>('/devices');
    await adminApi(`/devices/${devices.find((d) => d.name === 'kitchen-pi')!.id}`, { method: 'DELETE' });
    expect(await again.exited).toBe(3);
    expect(again.stderr.join('\n')).toMatch(/tabmesh node: an admin revoked this device on .*; to pair again, .* --code CODE$/m);
  });

  it('hosts the llm skill against an OpenAI-compatible server and streams its answer', async () => {
    const fake: FakeOpenAi = await startFakeOpenAi({ apiKey: 'sk-node' });
    try {
      const llm = await node({
        url: server.url, key: AGENT_KEY, name: 'llm-host', args: ['--skills', 'llm,chat'],
        env: { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-node', OPENAI_MODEL: 'tiny' },
      });
      const r = await runCli(['call', ...conn(), '--skill', 'llm', '--to', llm.peerId, '--input', '{"prompt":"peers talk directly"}', '--stream', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.slice(0, -1)).toEqual([{ chunk: 'PEERS ' }, { chunk: 'TALK ' }, { chunk: 'DIRECTLY' }]);
      expect(lines.at(-1)).toMatchObject({ result: { text: 'PEERS TALK DIRECTLY', model: 'tiny', finishReason: 'stop' }, peer: llm.peerId });
      expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'tiny', stream: true });

      // chat (what the hub's chat view sends) goes through the same endpoint.
      const chat = await runCli(['call', ...conn(), '--skill', 'chat', '--to', llm.peerId, '--input', '{"text":"hello node"}', '--stream']);
      expect(chat.stdout).toBe('HELLO NODE\n');

      // Without an endpoint: llm says what to configure, chat still answers (echo).
      const bare = await node({ url: server.url, key: AGENT_KEY, name: 'llm-bare' });
      expect(bare.stdout[0]).toMatch(/serving echo, time, sysinfo, chat$/);
      const missing = await runCli(['call', ...conn(), '--skill', 'llm', '--to', bare.peerId, '--input', '{"prompt":"x"}']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/\[unknown-skill\] no skill "llm" on this peer/);
      const unconfigured = await node({ url: server.url, key: AGENT_KEY, name: 'llm-unset', args: ['--skills', 'llm'] });
      const refused = await runCli(['call', ...conn(), '--skill', 'llm', '--to', unconfigured.peerId, '--input', '{"prompt":"x"}']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/\[not-configured\] llm: no endpoint configured; set OPENAI_BASE_URL/);
      const echoChat = await runCli(['call', ...conn(), '--skill', 'chat', '--to', bare.peerId, '--input', '{"text":"hi there"}', '--stream', '--json']);
      expect(echoChat.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown).slice(0, -1)).toEqual([{ chunk: 'You ' }, { chunk: 'said: ' }, { chunk: 'hi ' }, { chunk: 'there' }]);
    } finally {
      await fake.close();
    }
  });
});

describe('flag validation', () => {
  it.each([
    [['node', '--url', 'http://127.0.0.1:9', '--name', 'x', '--key', 'k1234567890', '--code', '123456'], 'tabmesh node: give one of --key, --token or --code (got --key and --code)'],
    [['node', '--url', 'http://127.0.0.1:9', '--name', 'x', '--code', '12'], 'tabmesh node: --code must be a 6-digit pairing code or a 12-character invite code (got "12")'],
    [['node', '--url', 'http://127.0.0.1:9', '--name', 'bad name', '--key', 'k1234567890'], 'tabmesh node: --name must be 1-64 chars of A-Z a-z 0-9 _ . - starting with a letter or digit (got "bad name")'],
    [['node', '--url', 'ftp://x', '--name', 'x'], 'tabmesh node: --url must be an http:// or https:// URL (got "ftp://x")'],
    [['node', '--url', 'http://127.0.0.1:9', '--name', 'x', '--key', 'k1234567890', '--skills', 'echo,teleport'], 'tabmesh node: unknown built-in skill "teleport" (available: echo, time, llm, chat, sysinfo, fetch-url)'],
    [['node', '--url', 'http://127.0.0.1:9', '--name', 'x', '--key', 'k1234567890', '--workers', '0'], 'tabmesh node: --workers must be an integer from 1 to 16 (got "0")'],
    [['node', '--url', 'http://127.0.0.1:9', '--name', 'x', '--key', 'k1234567890', '--max-links', '0'], 'tabmesh node: --max-links must be an integer from 1 to 1024 (got "0")'],
    [['node', '--frobnicate'], 'tabmesh node: unknown option --frobnicate'],
    [['call', '--url', 'http://127.0.0.1:9', '--key', 'k1234567890'], 'tabmesh call: --skill is required'],
    [['call', '--url', 'http://127.0.0.1:9', '--skill', 'echo'], 'tabmesh call: --key is required (or --token, or set TABMESH_KEY)'],
    [['ping', '--url', 'http://127.0.0.1:9', '--key', 'k1234567890'], 'tabmesh ping: PEER is required: tabmesh ping PEER (tabmesh peers lists peer ids)'],
    [['ping', 'p', '--url', 'http://127.0.0.1:9', '--key', 'k1234567890', '--count', 'many'], 'tabmesh ping: --count must be an integer from 1 to 10000 (got "many")'],
    [['peers', '--key', 'k1234567890'], 'tabmesh peers: --url is required (or set TABMESH_URL)'],
    [['call', '--url', 'http://127.0.0.1:9', '--key', 'k1234567890', '--skill', 'echo', '--bind-address', 'localhost'], 'tabmesh call: --bind-address must be an IP address (got "localhost")'],
    [['peers', '--url', 'ftp://me:s3cret-pass@x', '--key', 'k1234567890'], 'tabmesh peers: --url must not contain credentials; use --key or --token'],
    [['serve', '--port', '9000'], 'tabmesh serve: takes no flags or arguments (got "--port"); set environment variables instead, e.g. PORT=9000 tabmesh serve'],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
    expect(r.stderr).toContain(`Run "tabmesh ${args[0]} --help" for usage.`);
  });

  it('needs a credential when the data dir has none, and reads TABMESH_URL / TABMESH_KEY', async () => {
    const r = await runCli(['node', '--url', server.url, '--name', 'nocred', '--data-dir', '/tmp/tabmesh-nocred-test']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tabmesh node: --key, --token or --code is required \(no saved device token for http:\/\/127\.0\.0\.1:\d+ in \/tmp\/tabmesh-nocred-test\/credential\.json\)/);
    const peers = await runCli(['peers', '--json'], { env: { TABMESH_URL: server.url, TABMESH_KEY: AGENT_KEY } });
    expect(peers.code, peers.stderr).toBe(0);
    expect(JSON.parse(peers.stdout)).toHaveProperty('peers');
  });

  it('prints help for every command', async () => {
    for (const cmd of ['node', 'call', 'ping', 'peers']) {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: tabmesh ${cmd} `));
    }
  });
});
