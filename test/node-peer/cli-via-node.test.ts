import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocalApi } from '../../headless-node/local-api/client.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { runCli, startLinkedPair, type NodePeer } from './helpers/tabmesh-cli.ts';

const KEY = 'agent-key-for-cli-via-node-0001';

let server: ServerProcess;
let front: NodePeer;
let back: NodePeer;

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `agent:${KEY}` } });
  [front, back] = await startLinkedPair(server.url, KEY, { front: 'echo', back: 'echo,time' });
});
afterAll(async () => {
  await Promise.all([front?.stop('SIGKILL'), back?.stop('SIGKILL')]);
  await server?.stop();
});

describe('call, ping and peers through a running node (--data-dir)', () => {
  it('need no server URL or key: the node runs them over its own links', async () => {
    const routed = await runCli(['call', '--data-dir', front.dataDir, '--skill', 'time', '--json']);
    expect(routed.code, routed.stderr).toBe(0);
    expect(JSON.parse(routed.stdout)).toMatchObject({ peer: back.peerId, tier: 'direct', ms: expect.any(Number) });

    const echoed = await runCli(['call', '--data-dir', front.dataDir, '--skill', 'echo', '--to', back.peerId, '--input', '"via the node"']);
    expect([echoed.code, echoed.stdout]).toEqual([0, 'via the node\n']);
    expect(echoed.stderr).toMatch(new RegExp(`^\\(${back.peerId} · direct · [\\d.]+ ms\\)\\n$`));

    const pinged = await runCli(['ping', back.peerId, '--data-dir', front.dataDir, '--count', '2', '--interval', '0']);
    expect(pinged.code, pinged.stderr).toBe(0);
    expect(pinged.stdout).toMatch(new RegExp(`^PING ${back.peerId}: route open via direct in [\\d.]+ ms\\nreply from ${back.peerId}: seq=1 time=[\\d.]+ ms tier=direct\\nreply from ${back.peerId}: seq=2 .*\\n--- ${back.peerId}: 2 sent, 2 received, 0% lost, rtt min/avg/max = `));

    const listed = await runCli(['peers', '--data-dir', front.dataDir, '--json']);
    const { peers } = JSON.parse(listed.stdout) as { peers: Array<{ peerId: string; joinedAt?: number; agents: Array<{ name: string }> }> };
    expect(peers.map((p) => p.peerId).sort()).toEqual([front.peerId, back.peerId].sort());
    expect(peers.every((p) => typeof p.joinedAt === 'number')).toBe(true);
  });

  it('stream chunks in order, printed as the one-shot path prints them', async () => {
    const words = await connectLocalApi(back.dataDir);
    try {
      await words.register('words', [{ name: 'words', streaming: true }], (_skill, input, ctx) => {
        for (const w of String(input).split(' ')) ctx.onChunk?.(w);
        return 'done';
      });
      const streamed = await runCli(['call', '--data-dir', front.dataDir, '--skill', 'words', '--to', back.peerId, '--input', '"a b c"', '--stream', '--json']);
      expect(streamed.code, streamed.stderr).toBe(0);
      const lines = streamed.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
      expect(lines).toEqual([{ chunk: 'a' }, { chunk: 'b' }, { chunk: 'c' }, { result: 'done', peer: back.peerId, tier: 'direct', ms: expect.any(Number) }]);
    } finally {
      words.close();
    }
  });

  it('--one-shot joins as a throw-away peer even when a node runs there', async () => {
    const noUrl = await runCli(['call', '--data-dir', front.dataDir, '--one-shot', '--skill', 'echo', '--to', back.peerId]);
    expect([noUrl.code, noUrl.stderr]).toEqual([2, 'tabmesh call: --url is required (or set TABMESH_URL)\nRun "tabmesh call --help" for usage.\n']);
    const oneShot = await runCli(['call', '--data-dir', front.dataDir, '--one-shot', '--url', server.url, '--key', KEY, '--bind-address', '127.0.0.1', '--skill', 'echo', '--to', back.peerId, '--input', '"one shot"', '--json']);
    expect(oneShot.code, oneShot.stderr).toBe(0);
    expect(JSON.parse(oneShot.stdout)).toMatchObject({ result: 'one shot', peer: back.peerId });
  });

  it('keep working over the node\'s open link while the signaling server is down', async () => {
    expect(await server.stop()).toBe(0);
    await front.waitForLine(/signaling lost/);

    const echoed = await runCli(['call', '--data-dir', front.dataDir, '--skill', 'echo', '--to', back.peerId, '--input', '"server is down"', '--json']);
    expect(echoed.code, echoed.stderr).toBe(0);
    expect(JSON.parse(echoed.stdout)).toMatchObject({ result: 'server is down', peer: back.peerId, tier: 'direct' });

    const pinged = await runCli(['ping', back.peerId, '--data-dir', front.dataDir, '--count', '1', '--json']);
    expect(pinged.code, pinged.stderr).toBe(0);
    expect(JSON.parse(pinged.stdout)).toMatchObject({ peer: back.peerId, tier: 'direct', lost: 0 });

    const listed = await runCli(['peers', '--data-dir', front.dataDir]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${back.peerId} +agent +- +back \\[active\\]: echo, time$`, 'm'));

    // Routing by skill name without the server: a linked peer that offers the skill serves it.
    const routed = await runCli(['call', '--data-dir', front.dataDir, '--skill', 'time', '--json']);
    expect(routed.code, routed.stderr).toBe(0);
    expect(JSON.parse(routed.stdout)).toMatchObject({ peer: back.peerId, tier: 'direct' });
    // A skill no linked peer offers needs the server: said plainly, with the connection exit code.
    const unrouted = await runCli(['call', '--data-dir', front.dataDir, '--skill', 'no-such-skill']);
    expect(unrouted.code).toBe(3);
    expect(unrouted.stderr).toMatch(/^tabmesh call: skill "no-such-skill" on the mesh failed: \[server-unreachable\] routing skill "no-such-skill" needs the server/);
  });
});
