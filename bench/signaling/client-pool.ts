import { idFor } from '../../test/helpers/test-identity.ts';
import type { ConnectArgs } from './load-types.ts';
import type { BenchClient, SignalingProtocol } from './protocols.ts';

/** Runs `task(i)` for i < count with at most `concurrency` at once; all started tasks settle before a rejection. */
async function forEachLimited(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < count && !failure) {
      const i = next++;
      await task(i).catch((err: unknown) => void (failure ??= { err }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure) throw failure.err;
}

/** Clients with their credentials fetched but no socket yet: lets a memory baseline exclude token issuing. */
export interface PreparedClients {
  protocol: SignalingProtocol;
  ids: string[];
  credentials: string[];
  concurrency: number;
}

/**
 * Fetches a credential for each of `args.count` clients: ids are the key-derived ids of the names
 * `<idPrefix>-<i>` (tabmesh issues tokens for nothing else), the same ids for every server compared.
 */
export async function prepareClients(protocol: SignalingProtocol, args: ConnectArgs): Promise<PreparedClients> {
  const ids = Array.from({ length: args.count }, (_, i) => idFor(`${args.idPrefix}-${i}`));
  const credentials: string[] = [];
  const concurrency = args.concurrency ?? 64;
  await forEachLimited(ids.length, concurrency, async (i) => void (credentials[i] = await protocol.credential(ids[i]!, i)));
  return { protocol, ids, credentials, concurrency };
}

/** Opens every prepared client; closes those already open if one fails. */
export async function connectClients(prepared: PreparedClients): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  try {
    await forEachLimited(prepared.ids.length, prepared.concurrency, async (i) => {
      clients[i] = await prepared.protocol.connect(prepared.ids[i]!, prepared.credentials[i]!);
    });
  } catch (err) {
    await closeClients(clients.filter(Boolean));
    throw err;
  }
  return clients;
}

/** Closes every client and resolves once all are closed (terminating stragglers after `timeoutMs`). */
export async function closeClients(clients: BenchClient[], timeoutMs = 10_000): Promise<void> {
  const open = clients.filter((c) => c.ws.readyState !== c.ws.CLOSED);
  const timer = setTimeout(() => open.forEach((c) => c.ws.terminate()), timeoutMs);
  await Promise.all(open.map((c) => new Promise<void>((resolve) => {
    c.ws.once('close', () => resolve());
    c.ws.close(1000, 'benchmark done');
  })));
  clearTimeout(timer);
}
