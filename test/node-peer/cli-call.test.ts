import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { fixture } from './helpers/dist.ts';
import { runCli, startNodePeer, type NodePeer } from './helpers/tabmesh-cli.ts';

const ADMIN_KEY = 'admin-key-for-cli-tests-0001';
const AGENT_KEY = 'agent-key-for-cli-tests-0001';
const EXAMPLE = new URL('../../examples/my-skills.js', import.meta.url).pathname;

let server: ServerProcess;
let alpha: NodePeer;
let beta: NodePeer;
const conn = () => ['--url', server.url, '--key', AGENT_KEY, '--bind-address', '127.0.0.1'];
const call = (...args: string[]) => runCli(['call', ...conn(), ...args]);
const json = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { result: unknown; peer: string; tier: string; ms: number };

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY}` } });
  // alpha: built-ins only; beta: the documented example module plus skills that misbehave.
  [alpha, beta] = await Promise.all([
    startNodePeer({ url: server.url, key: AGENT_KEY, name: 'alpha', args: ['--skills', 'echo,time'] }),
    startNodePeer({ url: server.url, key: AGENT_KEY, name: 'beta', args: ['--skills', 'sysinfo', '--skills-module', EXAMPLE] }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([alpha?.stop(), beta?.stop()]);
  await server?.stop();
});

describe('tabmesh call across node peers', () => {
  it('runs echo on a named peer peer-to-peer and reports peer, tier and time', async () => {
    const input = { text: 'hello mesh', n: [1, 2, { deep: true }] };
    const r = await call('--skill', 'echo', '--to', alpha.peerId, '--input', JSON.stringify(input), '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r.stdout);
    expect(out.result).toEqual(input);
    expect(out.peer).toBe(alpha.peerId);
    // Peer-to-peer either way: its own DataChannel, or the other node's when that one linked to
    // this short-lived peer first (a top-up after an earlier test's peer left) and so knows a way.
    expect(['direct', 'routed']).toContain(out.tier);
    expect(out.ms).toBeGreaterThan(0);
  });

  it('routes by skill through the control plane when no peer is named', async () => {
    const before = Date.now();
    const r = await call('--skill', 'time', '--input', '{"timeZone":"Asia/Tokyo"}', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r.stdout) as { result: { epochMs: number; timeZone: string }; peer: string };
    expect(out.peer).toBe(alpha.peerId);
    expect(out.result.timeZone).toBe('Asia/Tokyo');
    expect(out.result.epochMs).toBeGreaterThanOrEqual(before);
    const word = await call('--skill', 'word-count', '--input', '{"text":"one two three"}');
    expect(word.code, word.stderr).toBe(0);
    expect(JSON.parse(word.stdout)).toEqual({ words: 3, characters: 13 });
    expect(word.stderr).toMatch(new RegExp(`^\\(${beta.peerId} · (direct|routed, 2 hops) · [\\d.]+ ms\\)`));
  });

  it('streams chunks in order, then the result', async () => {
    const r = await call('--skill', 'countdown', '--input', '{"from":20}', '--stream', '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { chunk?: unknown; result?: unknown });
    expect(lines.slice(0, -1)).toEqual(Array.from({ length: 20 }, (_, i) => ({ chunk: 20 - i })));
    expect(lines.at(-1)).toMatchObject({ result: 'liftoff', peer: beta.peerId });
    const human = await call('--skill', 'countdown', '--input', '{"from":3}', '--stream');
    expect(human.stdout).toBe('3\n2\n1\nliftoff\n');
  });

  it('lists peers with the skills their modules export, and the link the two nodes opened', async () => {
    const r = await runCli(['peers', '--url', server.url, '--key', AGENT_KEY, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { peers } = JSON.parse(r.stdout) as { peers: Array<{ peerId: string; agents: Array<{ name: string; skills: string[]; health: string }> }> };
    const byId = new Map(peers.map((p) => [p.peerId, p]));
    expect(byId.get(alpha.peerId)!.agents).toEqual([{ id: `${alpha.peerId}:alpha`, name: 'alpha', health: 'active', skills: ['echo', 'time'] }]);
    expect(byId.get(beta.peerId)!.agents[0]!.skills).toEqual(['sysinfo', 'countdown', 'word-count']);
    // alpha and beta dial each other on join (autoConnect): each side reports the link.
    await alpha.waitForLine(new RegExp(`DataChannel to ${beta.peerId} open \\(direct`));
    const table = await runCli(['peers', '--url', server.url, '--key', AGENT_KEY]);
    expect(table.stdout).toMatch(new RegExp(`${beta.peerId}\\s+agent\\s+\\d+s ago\\s+beta \\[active\\]: sysinfo, countdown, word-count`));
  });

  it('pings a peer and prints round-trip times', async () => {
    const r = await runCli(['ping', beta.peerId, ...conn(), '--count', '3', '--interval', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^PING ${beta.peerId}: route open via direct in [\\d.]+ ms\n`));
    expect(r.stdout.match(/reply from \S+: seq=\d time=[\d.]+ ms tier=direct/g)).toHaveLength(3);
    expect(r.stdout).toMatch(/3 sent, 3 received, 0% lost, rtt min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms/);
    const missing = await runCli(['ping', 'node-nobody', ...conn(), '--count', '1']);
    expect([missing.code, missing.stderr.trim()]).toEqual([1, 'tabmesh ping: peer "node-nobody" is not in the mesh (tabmesh peers lists who is)']);
  });

  it('reaches a peer through the server with --no-p2p', async () => {
    const r = await call('--skill', 'echo', '--to', alpha.peerId, '--input', '"via server"', '--json', '--no-p2p');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ result: 'via server', tier: 'fallback' });
  });

  it('reaches a node started with --no-p2p through the server', async () => {
    const serverOnly = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'server-only', args: ['--skills', 'echo', '--no-p2p'] });
    try {
      expect(serverOnly.stdout[0]).toMatch(/\(no p2p: fallback tier only\)/);
      const r = await call('--skill', 'echo', '--to', serverOnly.peerId, '--input', '[1,2,3]', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(json(r.stdout)).toMatchObject({ result: [1, 2, 3], peer: serverOnly.peerId, tier: 'fallback' });
    } finally {
      await serverOnly.stop();
    }
  });
});

describe('tabmesh call failures', () => {
  it('refuses bad JSON input before joining (exit 2)', async () => {
    const r = await call('--skill', 'echo', '--input', '{text: hi}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tabmesh call: --input must be JSON \(.+\); quote it for the shell/);
  });

  it('reports input the skill refuses, naming field and rule (exit 1)', async () => {
    const r = await call('--skill', 'word-count', '--input', '{"text":5}');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`tabmesh call: skill "word-count" on ${beta.peerId} failed: [bad-input] word-count: input.text: must be string (got number)`);
  });

  it('reports a skill nobody offers, and an unknown skill on a named peer', async () => {
    const none = await call('--skill', 'teleport');
    expect([none.code, none.stderr.trim()]).toEqual([1, 'tabmesh call: no active agent offers skill "teleport" (start one: tabmesh node --skills teleport …)']);
    const unknown = await call('--skill', 'teleport', '--to', alpha.peerId);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/\[unknown-skill\] no skill "teleport" on this peer/);
  });

  it('times out with a clear message', async () => {
    const r = await call('--skill', 'countdown', '--input', '{"from":5,"delayMs":2000}', '--timeout', '1');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`tabmesh call: skill "countdown" on ${beta.peerId}: no answer within 1 s`);
  });

  it('refuses wrong keys and unreachable servers (exit 3)', async () => {
    const wrong = await runCli(['call', '--url', server.url, '--key', 'wrong-key-0000000000', '--skill', 'echo']);
    expect([wrong.code, wrong.stderr.trim()]).toEqual([3, 'tabmesh call: the server refused the credential: unknown API key or device token (check --key / --token)']);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await runCli(['call', '--url', closed, '--key', AGENT_KEY, '--skill', 'echo']);
    expect([down.code, down.stderr.trim()]).toEqual([3, `tabmesh call: ${closed}: cannot reach the server (fetch failed)`]);
  });

  it('survives a worker crash in a hosted skill', async () => {
    const crashy = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'crashy', args: ['--skills', 'echo', '--skills-module', fixture('crashy-skills.js')] });
    try {
      const crash = await call('--skill', 'crash', '--to', crashy.peerId);
      expect(crash.code).toBe(1);
      expect(crash.stderr).toMatch(/\[worker-crashed\] skill worker crashed: boom from a timer/);
      const after = await call('--skill', 'echo', '--to', crashy.peerId, '--input', '"alive"');
      expect([after.code, after.stdout]).toEqual([0, 'alive\n']);
      expect(crashy.proc.exitCode).toBeNull();
    } finally {
      await crashy.stop();
    }
  });
});
