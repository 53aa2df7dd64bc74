import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectBarePair, echoRoundTrip, selectedPair, startBarePair } from '../../bench/lib/bare-rtc-pair.ts';
import { parseIceUrl, turnAllocate } from '../../headless-node/doctor/turn-probe.ts';
import { encodeIceServersForLibdatachannel } from '../../headless-node/libdatachannel-ice-servers.ts';
import { turnCredential } from '../../server/ice-config.ts';
import type { IceServer, TopologyEdge } from '../../protocol/index.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';
import { getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { runCli, startNodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { idFor } from '../helpers/test-identity.ts';

const secret = randomBytes(24).toString('base64url');
const agentKey = `agent-${randomBytes(12).toString('hex')}`;
const TTL = 600;
let coturn: Coturn;
let server: ServerProcess;

beforeAll(async () => {
  coturn = await startCoturn({ secret });
  server = await startServer({
    env: { TURN_URLS: coturn.turnUrl, TURN_SECRET: secret, TURN_CREDENTIAL_TTL_SECONDS: String(TTL), TABMESH_API_KEYS: `agent:${agentKey}` },
  });
});

afterAll(async () => {
  await Promise.allSettled([server?.stop(), coturn?.stop()]);
});

async function iceServersOf(peerId: string): Promise<IceServer[]> {
  const token = await getToken(server.url, agentKey, peerId);
  const res = await fetch(`${server.url}/api/config`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { iceServers: IceServer[] }).iceServers;
}

const forNode = (servers: IceServer[]) => encodeIceServersForLibdatachannel(servers) as RTCIceServer[];
const RELAY_ONLY = { iceTransportPolicy: 'relay', bindAddress: '127.0.0.1' } as const;

describe('relayed tier through a real coturn', () => {
  test('/api/config hands out coturn REST credentials that expire after the TTL', async () => {
    const before = Math.floor(Date.now() / 1000);
    const [turn] = await iceServersOf(idFor('peer-config'));
    expect(turn!.urls).toEqual([coturn.turnUrl]);
    const [expiry, peer] = turn!.username!.split(':');
    expect(peer).toBe(idFor('peer-config'));
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + TTL);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + TTL);
    expect(turn!.credential).toBe(await turnCredential(secret, turn!.username!));
  });

  test('two relay-only node-datachannel peers open a DataChannel through coturn', async () => {
    const [iceA, iceB] = await Promise.all([iceServersOf(idFor('peer-a')), iceServersOf(idFor('peer-b'))]);
    // Each side authenticates with its own credentials, as two separate peers would.
    const pair = await connectBarePair({ ...RELAY_ONLY, iceServers: forNode(iceA), iceServersB: forNode(iceB), timeoutMs: 15_000 });
    try {
      expect(await echoRoundTrip(pair.channelA, pair.channelB, 'through the relay')).toBeGreaterThan(0);
      for (const pc of [pair.a, pair.b]) {
        const selected = await selectedPair(pc);
        expect(selected?.local).toMatchObject({ type: 'relay', address: coturn.relayIp });
        expect(selected?.remote).toMatchObject({ type: 'relay', address: coturn.relayIp });
      }
      // coturn granted both peers allocations under their own REST usernames and relayed between them.
      for (const peer of [idFor('peer-a'), idFor('peer-b')]) {
        await coturn.waitForLog(new RegExp(`user <\\d+:${peer}>: incoming packet ALLOCATE processed, success`));
        await coturn.waitForLog(new RegExp(`user <\\d+:${peer}>: incoming packet (CREATE_PERMISSION|CHANNEL_BIND) processed, success`));
      }
    } finally {
      pair.close();
    }
  });

  test('coturn refuses a credential past its expiry; a fresh one from the server is accepted', async () => {
    const endpoint = parseIceUrl(coturn.turnUrl)!;
    const expiredFor = async (peerId: string): Promise<IceServer> => {
      const username = `${Math.floor(Date.now() / 1000) - 60}:${peerId}`;
      return { urls: [coturn.turnUrl], username, credential: await turnCredential(secret, username) };
    };

    // Baseline in the same run: same coturn, a valid credential from the server.
    const [fresh] = await iceServersOf('peer-fresh');
    const ok = await turnAllocate(endpoint, fresh!.username!, fresh!.credential!, { bindAddress: '127.0.0.1' });
    expect(ok).toMatchObject({ outcome: 'allocated', relayed: { address: coturn.relayIp } });
    const probe = await expiredFor('peer-expired-probe');
    expect(await turnAllocate(endpoint, probe.username!, probe.credential!, { bindAddress: '127.0.0.1' }))
      .toEqual({ outcome: 'refused', code: 401, reason: 'Unauthorized' });

    // Through node-datachannel (its own username, so the log lines are its own): the allocation is
    // refused, no relay candidate exists, and a relay-only DataChannel has no path to open on.
    const expired = await expiredFor('peer-expired-rtc');
    const pending = startBarePair({ ...RELAY_ONLY, iceServers: forNode([expired]), timeoutMs: 60_000 });
    pending.opened.catch(() => undefined);
    try {
      await coturn.waitForLog(`Cannot find credentials of user <${expired.username}>`, 10_000);
      await coturn.waitForLog(`user <${expired.username}>: incoming packet message processed, error 401`, 10_000);
      expect(pending.candidates.a.concat(pending.candidates.b).filter((c) => c.includes(' typ relay'))).toEqual([]);
      expect(['new', 'checking']).toContain(pending.a.iceConnectionState);
      expect(coturn.logs.filter((l) => l.includes(`user <${expired.username}>`) && l.includes('processed, success'))).toEqual([]);
    } finally {
      pending.close();
    }
  });
});

describe('tabmesh Node peers forced to relay-only ICE', () => {
  /** Polls /api/topology until `found` picks an edge: a link report reaches the server 250 ms to 5 s after the link opens. */
  async function topologyEdge(token: string, found: (e: TopologyEdge) => boolean, timeoutMs = 15_000): Promise<TopologyEdge> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      const res = await fetch(`${server.url}/api/topology`, { headers: { authorization: `Bearer ${token}` } });
      last = await res.json();
      const edge = (last as { edges?: TopologyEdge[] }).edges?.find(found);
      if (edge) return edge;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no such topology edge within ${timeoutMs} ms: ${JSON.stringify(last)}`);
  }

  // retry: 1 for a deadlock inside libdatachannel on relayed links (docs/development.md "A relay-only
  // `tabmesh call` that printed nothing": DTLS started from the ICE callback while a worker holding the
  // SSL mutex waits for the ICE agent's lock; fixed upstream in libdatachannel PR #1630, not yet in
  // node-datachannel 0.33.4). About 1 run in 15 the call's process hangs; a failure prints its native stacks.
  test('`call --json` reports tier relayed, and /api/topology shows the relayed link', { retry: 1, timeout: 60_000 }, async () => {
    const relayOnly = ['--relay-only', '--skills', 'echo'];
    const [alpha, beta] = await Promise.all([
      startNodePeer({ url: server.url, key: agentKey, name: 'relay-alpha', args: relayOnly }),
      startNodePeer({ url: server.url, key: agentKey, name: 'relay-beta', args: relayOnly }),
    ]);
    try {
      const input = { text: 'through coturn' };
      const r = await runCli(['call', '--url', server.url, '--key', agentKey, '--bind-address', '127.0.0.1', '--relay-only',
        '--skill', 'echo', '--to', alpha.peerId, '--input', JSON.stringify(input), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { result: unknown; peer: string; tier: string };
      expect(out).toMatchObject({ result: input, peer: alpha.peerId, tier: 'relayed' });

      // The two long-running nodes linked up on their own, through the relay, and told the server.
      await alpha.waitForLine(new RegExp(`DataChannel to ${beta.peerId} open \\(relayed`));
      const token = await getToken(server.url, agentKey, 'topology-reader');
      const between = (e: TopologyEdge) => [e.a, e.b].sort().join() === [alpha.peerId, beta.peerId].sort().join() && e.state === 'open';
      expect(await topologyEdge(token, between)).toMatchObject({ tier: 'relayed' });
      for (const peer of [alpha.peerId, beta.peerId]) {
        await coturn.waitForLog(new RegExp(`user <\\d+:${peer}>: incoming packet ALLOCATE processed, success`));
      }
    } finally {
      await Promise.all([alpha.stop(), beta.stop()]);
    }
  });
});

