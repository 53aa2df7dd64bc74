import { loadavg } from 'node:os';
import WebSocket from 'ws';
import { createNodePlatform } from '../headless-node/node-platform.ts';
import { generateIdentity } from '../protocol/index.ts';
import { createMesh, type Mesh } from '../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../web/mesh/signaling/token-source.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { interleave } from './lib/interleave.ts';
import { summarize } from './lib/stats.ts';
import { benchHost, seesPeer } from './mesh/bench-peer.ts';
import { startServer, type ServerKind, type ServerUnderTest } from './signaling/servers.ts';

const MIB = 1024 * 1024;
/** Relay frame payload: what a sealed 36 KiB chunk of a mesh message becomes in base64, about. */
const CHUNK_CHARS = 48_000;
const FRAMES_PER_MIB = Math.ceil(MIB / CHUNK_CHARS);
const ROUND_LIMIT_MS = 30_000;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/** Opens a raw client on `server` and resolves once it is accepted; `id` is its peer id. */
async function rawClient(server: ServerUnderTest, index: number): Promise<{ ws: WebSocket; id: string }> {
  const target = server.target(2);
  let url: string;
  let id: string;
  let hello: string | undefined;
  if (target.kind === 'tabmesh') {
    const { identity } = await generateIdentity();
    id = identity.peerId;
    const token = await apiKeyTokenSource({ url: target.tokenUrl, key: target.apiKeys[0]!, peerId: id, identity, fetch })();
    url = `${target.url.replace(/^http/, 'ws')}/ws`;
    hello = JSON.stringify({ type: 'hello', token });
  } else if (target.kind === 'bare') {
    id = `bulk-${index}`;
    url = `${target.url.replace(/^http/, 'ws')}/?id=${id}`;
  } else throw new Error(`no bulk client for ${target.kind}`);
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('open', () => hello && ws.send(hello));
    ws.once('error', reject);
  });
  return { ws, id };
}

/** A running relay with two raw clients on it: `sample()` sends 1 MiB as relay frames from a to b, returns milliseconds. */
interface RawPair {
  sample(): Promise<number>;
  stop(): Promise<void>;
}

async function rawPair(kind: ServerKind): Promise<RawPair> {
  const server = await startServer(kind, { meshes: 1, maxPeers: 16, fdLimit: 1024 });
  try {
    const a = await rawClient(server, 0);
    const b = await rawClient(server, 1);
    const frame = JSON.stringify({ type: 'relay', to: b.id, payload: { s: 'x'.repeat(CHUNK_CHARS) } });
    let got = 0;
    let wake: (() => void) | undefined;
    b.ws.on('message', (data: Buffer) => {
      if (data.subarray(0, 15).toString() !== '{"type":"relay"') return;
      if (++got % FRAMES_PER_MIB === 0) wake?.();
    });
    return {
      async sample() {
        const done = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${kind}: 1 MiB not relayed within ${ROUND_LIMIT_MS} ms`)), ROUND_LIMIT_MS);
          wake = () => (clearTimeout(timer), resolve());
        });
        const t0 = performance.now();
        for (let i = 0; i < FRAMES_PER_MIB; i++) a.ws.send(frame);
        await done;
        return performance.now() - t0;
      },
      async stop() {
        a.ws.terminate();
        b.ws.terminate();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** A mesh peer with a key-derived id and p2p off: every message takes the sealed fallback tier. */
async function fallbackPeer(url: string, key: string): Promise<Mesh> {
  const { identity } = await generateIdentity();
  const mesh = createMesh({
    url, platform: createNodePlatform({ bindAddress: '127.0.0.1' }), host: benchHost, identity, p2p: false, linkReportMs: 600_000,
    getToken: apiKeyTokenSource({ url, key, peerId: identity.peerId, identity, fetch }),
  });
  await mesh.start();
  return mesh;
}

/** A 1 MiB string sent as a call between two mesh peers on the fallback tier (sealed, paced, relayed); ms per call. */
async function meshBulk(rounds: number): Promise<number[]> {
  const server = await startServer('tabmesh', { meshes: 1, maxPeers: 16, fdLimit: 1024 });
  const meshes: Mesh[] = [];
  try {
    const target = server.target(2);
    if (target.kind !== 'tabmesh') throw new Error('expected tabmesh');
    const a = await fallbackPeer(target.url, target.apiKeys[0]!);
    meshes.push(a);
    const b = await fallbackPeer(target.url, target.apiKeys[0]!);
    meshes.push(b);
    await seesPeer(a, b.peerId!);
    const input = 'x'.repeat(MIB);
    const times: number[] = [];
    for (let r = 0; r < rounds + 1; r++) {
      const t0 = performance.now();
      const res = await a.call(b.peerId!, 'size', input, { timeoutMs: ROUND_LIMIT_MS });
      if (res.tier !== 'fallback' || res.output !== MIB) throw new Error(`unexpected ${res.tier} ${String(res.output)}`);
      // The first call also pays the seal handshake: not bulk.
      if (r > 0) times.push(performance.now() - t0);
    }
    return times;
  } finally {
    await Promise.all(meshes.map((m) => m.stop()));
    await server.stop();
  }
}

function row(what: string, times: number[], bytes: number): BenchRow {
  const s = summarize(times);
  return { what, rounds: s.count, 'p50 ms': round(s.p50, 2), 'p99 ms': round(s.p99, 2), 'MB/s at p50': round(bytes / 1e6 / (s.p50 / 1000)) };
}

/**
 * The fallback tier's bulk rate (issue 18: ≥ 10 MB/s per pair, 1 MiB < 100 ms): raw relay frames
 * through tabmesh (its default relay byte limit, 32 MiB/s) and through the bare ws relay, same
 * run; then a 1 MiB call between two mesh peers with p2p off (sealing, pacing and framing included).
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const rounds = ctx.quick ? 5 : 30;
  const load = loadavg().map((l) => round(l, 2));
  ctx.log(`raw relay, ${rounds} × 1 MiB through each, rounds alternating`);
  // Both relays run side by side and take turns per round, so load drift favours neither.
  const pairs: RawPair[] = [];
  let raw: Record<'tabmesh' | 'bare', number[]>;
  try {
    const t = await rawPair('tabmesh');
    pairs.push(t);
    const b = await rawPair('bare');
    pairs.push(b);
    raw = await interleave({ tabmesh: { n: rounds, sample: t.sample }, bare: { n: rounds, sample: b.sample } }, ctx.log);
  } finally {
    await Promise.all(pairs.map((p) => p.stop()));
  }
  const { tabmesh, bare } = raw;
  ctx.log(`mesh fallback call, ${Math.ceil(rounds / 3)} × 1 MiB`);
  const mesh = await meshBulk(Math.ceil(rounds / 3));
  return {
    rows: [
      row(`tabmesh relay: 1 MiB as ${FRAMES_PER_MIB} relay frames`, tabmesh, MIB),
      row('bare ws relay (floor): same frames', bare, MIB),
      row('mesh call, fallback tier (p2p off): 1 MiB string to a size skill', mesh, MIB),
    ],
    settings: [
      'tabmesh server process: `TABMESH_RATE_LIMIT_PER_SEC=1000000` (default 100: signaling frames; the relay byte limit stays at its default), `TABMESH_TOKEN_TTL_SECONDS=3600`, `TABMESH_MAX_PEERS_PER_MESH=16`; both servers (tabmesh and the bare ws relay) pinned to CPU 0, the clients in the benchmark process',
      'mesh-call row: `p2p: false` on both peers (every message takes the fallback tier), `linkReportMs: 600_000` (link reports effectively off)',
    ],
    notes: [
      `load average at start ${load.join(' ')}, at end ${loadavg().map((l) => round(l, 2)).join(' ')}`,
      'each round waits for the previous 1 MiB to arrive; tabmesh and bare ws relay rounds alternate (order reversed every other round), both servers running throughout; the mesh-call rounds follow',
    ],
  };
}
