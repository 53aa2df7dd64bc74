/**
 * The load process of the cluster benchmark, driven over IPC by bench/cluster.ts: `connect`
 * (client i joins `urls[i % urls.length]`, so pairs 0↔1, 2↔3… straddle two instances when two
 * URLs are given) → `relay` (the signaling benchmark's closed loop) → `disconnect`.
 */
import { serveRpc } from '../lib/ipc-rpc.ts';
import { closeClients } from '../signaling/client-pool.ts';
import type { RelayArgs, RelayResult } from '../signaling/load-types.ts';
import { protocolFor, type BenchClient, type SignalingProtocol } from '../signaling/protocols.ts';
import { runRelay } from '../signaling/relay-load.ts';

export interface ClusterConnectArgs {
  /** Server base URLs; client i uses urls[i % urls.length]. */
  urls: string[];
  /** Where tokens come from (any instance: they share the JWT secret). */
  tokenUrl: string;
  apiKey: string;
  count: number;
  /** Peer ids are `<idPrefix>-<i>`; fresh per run so a closing socket's id is never reused. */
  idPrefix: string;
}

let clients: BenchClient[] = [];
let protocol: SignalingProtocol | undefined;

serveRpc({
  async connect(args: ClusterConnectArgs): Promise<{ connected: number; seconds: number }> {
    if (clients.length) throw new Error('already connected');
    const started = performance.now();
    const protocols = args.urls.map((url) => protocolFor({ kind: 'tabmesh', url, tokenUrl: args.tokenUrl, apiKeys: [args.apiKey], peersPerKey: args.count }));
    protocol = protocols[0];
    for (let i = 0; i < args.count; i++) {
      const p = protocols[i % protocols.length]!;
      const id = `${args.idPrefix}-${i}`;
      clients.push(await p.connect(id, await p.credential(id, i)));
    }
    return { connected: clients.length, seconds: (performance.now() - started) / 1000 };
  },
  relay(args: RelayArgs): Promise<RelayResult> {
    if (!protocol || !clients.length) throw new Error('connect clients first');
    return runRelay(clients, protocol, args);
  },
  async disconnect(): Promise<{ closed: number }> {
    const closing = clients;
    clients = [];
    await closeClients(closing);
    return { closed: closing.length };
  },
});

process.on('disconnect', () => process.exit(0));
