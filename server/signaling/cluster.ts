import type { Logger } from '../ops/logger.ts';
import type { PeerSummary, ServerFrame } from '../protocol.ts';
import type { Store } from '../store/store.ts';

/** What the hub hands to other instances and gets back from them. */
export interface ClusterLink {
  readonly instanceId: string;
  /** Claims a peer id across instances: `duplicate` when live on another instance, `full` at the cap. */
  claim(mesh: string, peer: PeerSummary, maxPeers: number): Promise<'ok' | 'duplicate' | 'full'>;
  release(mesh: string, peerId: string): void;
  /** Peers of `mesh` connected to other instances (a cache fed by pub/sub). */
  remotePeers(mesh: string): PeerSummary[];
  hasRemote(mesh: string, peerId: string): boolean;
  /** Authoritative (store) check that a peer is connected anywhere; false on store errors. */
  exists(mesh: string, peerId: string): Promise<boolean>;
  forward(mesh: string, to: string, frame: ServerFrame): void;
  broadcast(mesh: string, except: string, frame: ServerFrame): void;
  revoke(cid: string): void;
  close(): Promise<void>;
}

export interface ClusterHandlers {
  deliver(mesh: string, to: string, frame: ServerFrame): void;
  broadcast(mesh: string, except: string, frame: ServerFrame): void;
  revoke(cid: string): void;
  /** The current local peers, re-announced periodically so their presence does not expire. */
  localPeers(): Array<{ mesh: string; peer: PeerSummary }>;
}

type Envelope =
  | { kind: 'deliver'; origin: string; mesh: string; to: string; frame: ServerFrame }
  | { kind: 'broadcast'; origin: string; mesh: string; except: string; frame: ServerFrame }
  | { kind: 'revoke'; origin: string; cid: string };

interface PresenceRecord extends PeerSummary {
  instance: string;
}

const PRESENCE_TTL_MS = 15_000;
const INSTANCE_TTL_MS = 10_000;
const REFRESH_MS = 3_000;
const presenceNs = (mesh: string) => `cluster-peers:${mesh}`;

/**
 * Fans signaling out between server instances sharing one store (Redis): a presence record per
 * peer (refreshed by its instance), a liveness key per instance, and one pub/sub channel that
 * carries deliveries, broadcasts and revocations. Peers of an instance that dies are reported
 * gone by the survivors once its liveness key expires.
 */
export async function createCluster(opts: { store: Store; logger: Logger; handlers: ClusterHandlers }): Promise<ClusterLink> {
  const { store, logger, handlers } = opts;
  const instanceId = crypto.randomUUID();
  const remote = new Map<string, Map<string, PresenceRecord>>();
  const publish = (e: Envelope) => void store.publish('signal', e).catch((err: unknown) => logger.warn('cluster publish failed', { err }));

  const remember = (mesh: string, rec: PresenceRecord) => {
    let m = remote.get(mesh);
    if (!m) remote.set(mesh, (m = new Map()));
    m.set(rec.peerId, rec);
  };
  const forget = (mesh: string, peerId: string) => {
    remote.get(mesh)?.delete(peerId);
    if (remote.get(mesh)?.size === 0) remote.delete(mesh);
  };

  const unsubscribe = await store.subscribe('signal', (m) => {
    const e = m as Envelope;
    if (!e || typeof e !== 'object' || e.origin === instanceId) return;
    if (e.kind === 'revoke') return handlers.revoke(e.cid);
    if (e.kind === 'deliver') return handlers.deliver(e.mesh, e.to, e.frame);
    if (e.kind === 'broadcast') {
      // Joins and leaves on other instances keep the remote-presence cache current.
      if (e.frame.type === 'peer-joined') remember(e.mesh, { ...e.frame.peer, instance: e.origin });
      if (e.frame.type === 'peer-left') forget(e.mesh, e.frame.peerId);
      handlers.broadcast(e.mesh, e.except, e.frame);
    }
  });

  const refresh = async () => {
    await store.put('instances', instanceId, true, INSTANCE_TTL_MS);
    const meshes = new Set<string>();
    for (const { mesh, peer } of handlers.localPeers()) {
      meshes.add(mesh);
      await store.put<PresenceRecord>(presenceNs(mesh), peer.peerId, { ...peer, instance: instanceId }, PRESENCE_TTL_MS);
    }
    // Reload remote presence for meshes we serve, and drop peers whose instance died.
    for (const mesh of new Set([...meshes, ...remote.keys()])) {
      const seen = new Set<string>();
      for (const rec of await store.list<PresenceRecord>(presenceNs(mesh))) {
        if (rec.instance === instanceId) continue;
        if (await store.get<boolean>('instances', rec.instance)) {
          remember(mesh, rec);
          seen.add(rec.peerId);
        }
      }
      for (const peerId of [...(remote.get(mesh)?.keys() ?? [])]) {
        if (seen.has(peerId)) continue;
        forget(mesh, peerId);
        await store.delete(presenceNs(mesh), peerId).catch(() => undefined);
        handlers.broadcast(mesh, peerId, { type: 'peer-left', peerId });
      }
    }
  };
  await refresh().catch((err: unknown) => logger.warn('cluster refresh failed', { err }));
  const timer = setInterval(() => void refresh().catch((err: unknown) => logger.warn('cluster refresh failed', { err })), REFRESH_MS);
  (timer as { unref?: () => void }).unref?.();

  return {
    instanceId,
    async claim(mesh, peer, maxPeers) {
      const rec: PresenceRecord = { ...peer, instance: instanceId };
      if (!(await store.create(presenceNs(mesh), peer.peerId, rec, PRESENCE_TTL_MS))) {
        const existing = await store.get<PresenceRecord>(presenceNs(mesh), peer.peerId);
        const alive = existing && existing.instance !== instanceId && (await store.get<boolean>('instances', existing.instance));
        // A record left by a dead instance is taken over; a live one means a second socket.
        if (alive || !existing || !(await store.swap(presenceNs(mesh), peer.peerId, existing, rec, PRESENCE_TTL_MS))) return 'duplicate';
        forget(mesh, peer.peerId);
      }
      if ((await store.list(presenceNs(mesh))).length > maxPeers) {
        await store.delete(presenceNs(mesh), peer.peerId);
        return 'full';
      }
      return 'ok';
    },
    release(mesh, peerId) {
      void store.get<PresenceRecord>(presenceNs(mesh), peerId)
        .then((rec) => rec?.instance === instanceId && store.swap(presenceNs(mesh), peerId, rec, undefined))
        .catch((err: unknown) => logger.warn('cluster release failed', { err }));
    },
    remotePeers: (mesh) => [...(remote.get(mesh)?.values() ?? [])].map(({ instance: _i, ...p }) => p),
    hasRemote: (mesh, peerId) => remote.get(mesh)?.has(peerId) ?? false,
    exists: (mesh, peerId) => store.get(presenceNs(mesh), peerId).then((r) => r !== undefined, () => false),
    forward: (mesh, to, frame) => publish({ kind: 'deliver', origin: instanceId, mesh, to, frame }),
    broadcast: (mesh, except, frame) => publish({ kind: 'broadcast', origin: instanceId, mesh, except, frame }),
    revoke: (cid) => publish({ kind: 'revoke', origin: instanceId, cid }),
    async close() {
      clearInterval(timer);
      await unsubscribe();
      await store.delete('instances', instanceId).catch(() => undefined);
    },
  };
}
