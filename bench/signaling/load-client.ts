/**
 * The load process of the signaling benchmark: holds the client sockets, away from the server under
 * test so the server's CPU is its own. Driven over IPC by bench/signaling.ts:
 * `prepare` (credentials) → `connect` (sockets) → `relay`* → `disconnect`.
 */
import { serveRpc } from '../lib/ipc-rpc.ts';
import { closeClients, connectClients, prepareClients, type PreparedClients } from './client-pool.ts';
import type { ConnectArgs, ConnectResult, RelayArgs, RelayResult } from './load-types.ts';
import { protocolFor, type BenchClient } from './protocols.ts';
import { runRelay } from './relay-load.ts';

let prepared: PreparedClients | undefined;
let clients: BenchClient[] = [];

serveRpc({
  async prepare(args: ConnectArgs): Promise<{ seconds: number }> {
    if (prepared) throw new Error('disconnect the previous clients first');
    const started = performance.now();
    prepared = await prepareClients(protocolFor(args.target), args);
    return { seconds: (performance.now() - started) / 1000 };
  },
  async connect(): Promise<ConnectResult> {
    if (!prepared) throw new Error('prepare clients first');
    if (clients.length) throw new Error('already connected');
    const started = performance.now();
    clients = await connectClients(prepared);
    return { connected: clients.length, seconds: (performance.now() - started) / 1000 };
  },
  relay(args: RelayArgs): Promise<RelayResult> {
    if (!prepared || !clients.length) throw new Error('connect clients first');
    return runRelay(clients, prepared.protocol, args);
  },
  async disconnect(): Promise<{ closed: number }> {
    const closing = clients;
    prepared = undefined;
    clients = [];
    await closeClients(closing);
    return { closed: closing.length };
  },
});

process.on('disconnect', () => process.exit(0));
