import { loadConfig } from '../../server/config.ts';
import { createTabmeshServer } from '../../server/create-server.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { generateIdentity } from '../../protocol/index.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';

/**
 * The real server's side of a join storm and a burst of leaves, recorded: an in-process
 * `createTabmeshServer` (memory store, default presence interval) with `n` peers attached through
 * in-process sockets (real tokens, hello → welcome), every frame each peer receives logged in
 * arrival order. The overlay model replays this log, so who is introduced to whom and what
 * presence reaches whom is the server's own doing, not a copy of it.
 */
export type ServerEvent =
  | { t: 'welcome'; peer: string; listed: string[] }
  | { t: 'joined'; to: string; ids: string[] }
  | { t: 'left'; to: string; ids: string[] }
  /** A peer's socket closed (its DataChannels close with it). */
  | { t: 'gone'; peer: string }
  /** Phase boundary: everything before it was delivered before the leaves began. */
  | { t: 'phase' };

export interface ServerLog {
  ids: string[];
  events: ServerEvent[];
  /** Frames the server sent, by phase: joins (welcome + presence), then leaves (presence). */
  frames: { joins: number; leaves: number };
  /** Presence entries (peers told of a join / leave, suggestions included), by phase. */
  entries: { joins: number; leaves: number };
  leavers: string[];
  /** Wall time of the join storm until presence was quiet, s. */
  joinSeconds: number;
}

const KEY = 'bench-overlay-sim-agent-key-0123456789';

async function forEachLimited(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

/** Resolves once no frame arrived for `quietMs`, checking every 100 ms. */
async function quiet(lastFrameAt: () => number, quietMs: number): Promise<void> {
  while (performance.now() - lastFrameAt() < quietMs) await new Promise((r) => setTimeout(r, 100));
}

export async function recordServer(n: number, leaving: (i: number) => boolean, log: (m: string) => void): Promise<ServerLog> {
  const config = loadConfig({ TABMESH_API_KEYS: `agent:${KEY}`, TABMESH_MAX_PEERS_PER_MESH: String(n + 10), LOG_LEVEL: 'error' });
  const server = await createTabmeshServer({
    config, secrets: { apiKeys: config.apiKeys, jwtSecret: 'bench-overlay-sim-secret-0123456789abcdef' },
    logger: createLogger('error'), sweepIntervalMs: 0,
  });
  server.setReadiness('ready');
  const viaApp = ((input: string, init?: RequestInit) => server.app.request(input, init)) as typeof fetch;
  const ids: string[] = [];
  const tokens: string[] = [];
  await forEachLimited(n, 64, async (i) => {
    const { identity } = await generateIdentity();
    ids[i] = identity.peerId;
    tokens[i] = await apiKeyTokenSource({ url: 'http://in-process', key: KEY, peerId: identity.peerId, identity, fetch: viaApp })();
  });
  log(`${n} tokens issued`);
  const events: ServerEvent[] = [];
  const frames = { joins: 0, leaves: 0 };
  const entries = { joins: 0, leaves: 0 };
  let phase: 'joins' | 'leaves' = 'joins';
  let lastFrameAt = performance.now();
  const conns: Array<{ closed(): void }> = [];
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const self = ids[i]!;
      await new Promise<void>((resolve, reject) => {
        const conn = server.relay.accept({
          send: (d) => {
            lastFrameAt = performance.now();
            frames[phase]++;
            const f = JSON.parse(d) as { type: string; peers?: Array<{ peerId: string }>; peer?: { peerId: string }; peerId?: string; joined?: Array<{ peerId: string }>; left?: string[] };
            if (f.type === 'welcome') return (events.push({ t: 'welcome', peer: self, listed: f.peers!.map((p) => p.peerId) }), resolve());
            if (f.type === 'peer-joined') (events.push({ t: 'joined', to: self, ids: [f.peer!.peerId] }), entries[phase]++);
            else if (f.type === 'peer-left') (events.push({ t: 'left', to: self, ids: [f.peerId!] }), entries[phase]++);
            else if (f.type === 'presence') {
              // The client applies left before joined (signaling-client.ts).
              if (f.left!.length) events.push({ t: 'left', to: self, ids: f.left! });
              if (f.joined!.length) events.push({ t: 'joined', to: self, ids: f.joined!.map((p) => p.peerId) });
              entries[phase] += f.left!.length + f.joined!.length;
            }
          },
          close: (code, reason) => reject(new Error(`${self} closed ${code} ${reason}`)),
          bufferedAmount: 0,
        }, { remoteAddress: '127.0.0.1' });
        conns[i] = conn;
        const hello = JSON.stringify({ type: 'hello', token: tokens[i] });
        conn.message(hello, hello.length);
      });
    }
    await quiet(() => lastFrameAt, 1500);
    const joinSeconds = (performance.now() - t0) / 1000 - 1.5;
    log(`${n} joined, presence quiet`);
    events.push({ t: 'phase' });
    phase = 'leaves';
    const leavers: string[] = [];
    for (let i = 0; i < n; i++) {
      if (!leaving(i)) continue;
      leavers.push(ids[i]!);
      events.push({ t: 'gone', peer: ids[i]! });
      conns[i]!.closed();
    }
    await quiet(() => lastFrameAt, 1500);
    return { ids, events, frames, entries, leavers, joinSeconds };
  } finally {
    await server.shutdown();
  }
}
