import type { Logger } from '../ops/logger.ts';
import { CloseCode, type PeerSummary, type ServerFrame } from '../../protocol/index.ts';
import type { Store } from '../store/store.ts';
import { createRemotePeers, type PresenceRecord } from './remote-peers.ts';

/** What the hub hands to other instances and gets back from them. */
export interface ClusterLink {
  readonly instanceId: string;
  /**
   * Claims a peer id across instances: `duplicate` when a socket on this or another live instance
   * holds it, `full` at the cap. A record left by a dead instance is taken over at once.
   */
  claim(mesh: string, peer: PeerSummary, maxPeers: number): Promise<'ok' | 'duplicate' | 'full'>;
  /** Gives back a successful claim (call after broadcasting the peer's `peer-left`). */
  release(mesh: string, peerId: string): void;
  /** Peers of `mesh` connected to other instances (a cache fed by pub/sub). */
  remotePeers(mesh: string): PeerSummary[];
  hasRemote(mesh: string, peerId: string): boolean;
  /** Authoritative (store) check that a peer is connected anywhere; false on store errors. */
  exists(mesh: string, peerId: string): Promise<boolean>;
  forward(mesh: string, to: string, frame: ServerFrame): void;
  /** Fans a frame out to the other instances; a `peer-left` only for a peer this instance holds. */
  broadcast(mesh: string, except: string, frame: ServerFrame): void;
  revoke(cid: string): void;
  /** Releases every claim, waits for releases in flight, leaves the channel. */
  close(): Promise<void>;
}

export interface ClusterHandlers {
  deliver(mesh: string, to: string, frame: ServerFrame): void;
  broadcast(mesh: string, except: string, frame: ServerFrame): void;
  revoke(cid: string): void;
  /** Closes a local socket whose peer id another instance has taken over. */
  kick(mesh: string, peerId: string, code: number, reason: string): void;
}

export interface ClusterOptions {
  store: Store;
  logger: Logger;
  handlers: ClusterHandlers;
  /** Presence refresh and dead-instance sweep period, ms (3000; the TTLs assume about that). */
  refreshMs?: number;
  /** How long a claim waits for the instance holding a peer's record to answer, ms (1000). */
  probeTimeoutMs?: number;
}

type Envelope =
  /** `direct`: sent on the holder's own channel (its cache entry may be stale). */
  | { kind: 'deliver'; origin: string; mesh: string; to: string; frame: ServerFrame; direct?: boolean }
  | { kind: 'broadcast'; origin: string; mesh: string; except: string; frame: ServerFrame }
  | { kind: 'revoke'; origin: string; cid: string }
  | { kind: 'probe'; origin: string; target: string; mesh: string; peerId: string; nonce: string }
  | { kind: 'probe-reply'; origin: string; to: string; nonce: string; holds: boolean };

const PRESENCE_TTL_MS = 15_000;
const INSTANCE_TTL_MS = 10_000;
const CLAIM_ATTEMPTS = 3;
const presenceNs = (mesh: string) => `cluster-peers:${mesh}`;
const SHARED = 'signal';
const inbox = (instance: string) => `signal:${instance}`;
const keyOf = (mesh: string, peerId: string) => `${mesh}\n${peerId}`;

/**
 * Fans signaling out between server instances sharing one store (Redis): a presence record per
 * peer (refreshed by the instance holding it), a liveness key per instance, a shared pub/sub
 * channel (broadcasts, revocations, deliveries to peers not in the cache) and one per instance
 * (deliveries to its peers, probes), so a relayed frame costs one instance, not all of them.
 * A peer that reconnects to another instance takes its record over as soon as the old holder
 * says it no longer has it, or does not answer (killed), instead of waiting for the record or
 * the liveness key to expire.
 */
export async function createCluster(opts: ClusterOptions): Promise<ClusterLink> {
  const { store, logger, handlers } = opts;
  const refreshMs = opts.refreshMs ?? 3000;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 1000;
  const instanceId = crypto.randomUUID();
  const remote = createRemotePeers();
  // Claims held (or being made) by sockets on this instance; the single source of "holds".
  const owned = new Map<string, { mesh: string; rec: PresenceRecord; confirmed: boolean }>();
  const probes = new Map<string, (holds: boolean) => void>();
  const inflight = new Set<Promise<unknown>>();
  const warn = (what: string) => (err: unknown) => logger.warn(`cluster ${what} failed`, { err });
  const publish = (e: Envelope, channel = SHARED) => void store.publish(channel, e).catch(warn('publish'));
  const track = (p: Promise<unknown>) => {
    const t = p.catch(warn('release')).finally(() => inflight.delete(t));
    inflight.add(t);
  };

  const onEnvelope = (e: Envelope) => {
    if (e.kind === 'revoke') return handlers.revoke(e.cid);
    if (e.kind === 'deliver') {
      if (owned.has(keyOf(e.mesh, e.to)) || !e.direct) return handlers.deliver(e.mesh, e.to, e.frame);
      // Sent here by a stale cache (the peer moved on): every instance gets the second chance.
      return publish({ ...e, origin: instanceId, direct: false });
    }
    if (e.kind === 'probe') {
      if (e.target === instanceId) publish({ kind: 'probe-reply', origin: instanceId, to: e.origin, nonce: e.nonce, holds: owned.has(keyOf(e.mesh, e.peerId)) }, inbox(e.origin));
      return;
    }
    if (e.kind === 'probe-reply') return void (e.to === instanceId && probes.get(e.nonce)?.(e.holds));
    const f = e.frame;
    // Joins and leaves on other instances keep the remote-presence cache current; news about a
    // peer that has since moved to another instance is dropped.
    if (f.type === 'peer-joined') remote.joined(e.mesh, { ...f.peer, instance: e.origin });
    if (f.type === 'peer-left' && (owned.has(keyOf(e.mesh, f.peerId)) || !remote.left(e.mesh, f.peerId, e.origin))) return;
    handlers.broadcast(e.mesh, e.except, f);
  };
  const receive = (m: unknown) => {
    const e = m as Envelope;
    if (e && typeof e === 'object' && e.origin !== instanceId) onEnvelope(e);
  };
  const unsubscribe = [await store.subscribe(SHARED, receive), await store.subscribe(inbox(instanceId), receive)];

  /** Asks `instance` whether a socket there still holds `peerId`; silence (a dead instance) is no. */
  const probe = (instance: string, mesh: string, peerId: string) => new Promise<boolean>((resolve) => {
    const nonce = crypto.randomUUID();
    const done = (holds: boolean) => (clearTimeout(timer), probes.delete(nonce), resolve(holds));
    const timer = setTimeout(() => done(false), probeTimeoutMs);
    probes.set(nonce, done);
    publish({ kind: 'probe', origin: instanceId, target: instance, mesh, peerId, nonce }, inbox(instance));
  });
  const held = async (mesh: string, rec: PresenceRecord) =>
    rec.instance !== instanceId && (await store.get<boolean>('instances', rec.instance)) === true && probe(rec.instance, mesh, rec.peerId);

  const acquire = async (mesh: string, rec: PresenceRecord, maxPeers: number): Promise<'ok' | 'duplicate' | 'full'> => {
    const ns = presenceNs(mesh);
    for (let i = 0; i < CLAIM_ATTEMPTS; i++) {
      if (!(await store.create(ns, rec.peerId, rec, PRESENCE_TTL_MS))) {
        const existing = await store.get<PresenceRecord>(ns, rec.peerId);
        if (!existing) continue; // released between the two calls
        if (await held(mesh, existing)) return 'duplicate';
        if (!(await store.swap(ns, rec.peerId, existing, rec, PRESENCE_TTL_MS))) continue;
      }
      remote.drop(mesh, rec.peerId);
      if ((await store.list(ns)).length <= maxPeers) return 'ok';
      await store.swap(ns, rec.peerId, rec, undefined);
      return 'full';
    }
    return 'duplicate';
  };

  /** Extends one of our records; recreates it if the store lost it; kicks our socket if another instance took it. */
  const extend = async (k: string, mesh: string, rec: PresenceRecord) => {
    const ns = presenceNs(mesh);
    const ours = () => owned.get(k)?.rec === rec;
    if (await store.swap(ns, rec.peerId, rec, rec, PRESENCE_TTL_MS)) return;
    if (!ours() || (await store.create(ns, rec.peerId, rec, PRESENCE_TTL_MS))) return;
    const now = await store.get<PresenceRecord>(ns, rec.peerId);
    // Gone again (recreated next pass), or our own write answered late: not a takeover.
    if (!ours() || now === undefined || JSON.stringify(now) === JSON.stringify(rec)) return;
    owned.delete(k);
    logger.info('peer taken over by another instance', { peerId: rec.peerId, mesh });
    handlers.kick(mesh, rec.peerId, CloseCode.duplicatePeer, 'peer id connected on another instance');
  };

  const reload = async (mesh: string, alive: (instance: string) => Promise<boolean>) => {
    const epoch = remote.begin();
    const live: PresenceRecord[] = [];
    for (const rec of await store.list<PresenceRecord>(presenceNs(mesh))) {
      if (rec.instance === instanceId) continue;
      if (await alive(rec.instance)) live.push(rec);
      // Only this exact record goes: the peer may be reclaiming it elsewhere right now.
      else await store.swap(presenceNs(mesh), rec.peerId, rec, undefined);
    }
    const { joined, left } = remote.reconcile(mesh, epoch, live);
    // Announces what pub/sub did not deliver: joins during a store outage, peers of dead instances.
    for (const peer of joined) handlers.broadcast(mesh, peer.peerId, { type: 'peer-joined', peer });
    for (const peerId of left) handlers.broadcast(mesh, peerId, { type: 'peer-left', peerId });
  };

  const refresh = async () => {
    await store.put('instances', instanceId, true, INSTANCE_TTL_MS);
    const meshes = new Set(remote.meshes());
    for (const { mesh } of owned.values()) meshes.add(mesh);
    // Claims still being made are not ours to extend yet.
    await Promise.all([...owned].filter(([, o]) => o.confirmed).map(([k, { mesh, rec }]) => extend(k, mesh, rec)));
    const liveness = new Map<string, Promise<boolean>>();
    const alive = (instance: string) => {
      if (!liveness.has(instance)) liveness.set(instance, store.get<boolean>('instances', instance).then((v) => v === true));
      return liveness.get(instance)!;
    };
    for (const mesh of meshes) await reload(mesh, alive);
  };
  const release = (k: string) => {
    const claim = owned.get(k);
    if (!claim) return;
    owned.delete(k);
    track(store.swap(presenceNs(claim.mesh), claim.rec.peerId, claim.rec, undefined));
  };

  let refreshing: Promise<void> | undefined;
  const tick = () => {
    // Passes never overlap (a slow store could otherwise stack them up).
    refreshing ??= refresh().catch(warn('refresh')).finally(() => (refreshing = undefined));
    return refreshing;
  };
  await tick();
  const timer = setInterval(() => void tick(), refreshMs);
  (timer as { unref?: () => void }).unref?.();

  return {
    instanceId,
    async claim(mesh, peer, maxPeers) {
      const k = keyOf(mesh, peer.peerId);
      // A second socket of the same peer on this instance loses without a store round trip.
      if (owned.has(k)) return 'duplicate';
      const rec: PresenceRecord = { ...peer, instance: instanceId };
      const entry = { mesh, rec, confirmed: false };
      owned.set(k, entry);
      let result: 'ok' | 'duplicate' | 'full' = 'duplicate';
      try {
        result = await acquire(mesh, rec, maxPeers);
        return result;
      } finally {
        if (result === 'ok') entry.confirmed = true;
        else if (owned.get(k) === entry) owned.delete(k);
      }
    },
    release: (mesh, peerId) => release(keyOf(mesh, peerId)),
    remotePeers: (mesh) => remote.list(mesh),
    hasRemote: (mesh, peerId) => remote.has(mesh, peerId),
    exists: (mesh, peerId) => store.get(presenceNs(mesh), peerId).then((r) => r !== undefined, () => false),
    forward(mesh, to, frame) {
      const at = remote.instanceOf(mesh, to);
      publish({ kind: 'deliver', origin: instanceId, mesh, to, frame, ...(at ? { direct: true } : {}) }, at ? inbox(at) : SHARED);
    },
    broadcast(mesh, except, frame) {
      // A socket closed after another instance took its peer over must not announce the peer gone.
      if (frame.type === 'peer-left' && !owned.has(keyOf(mesh, frame.peerId))) return;
      publish({ kind: 'broadcast', origin: instanceId, mesh, except, frame });
    },
    revoke: (cid) => publish({ kind: 'revoke', origin: instanceId, cid }),
    async close() {
      clearInterval(timer);
      await refreshing;
      for (const k of [...owned.keys()]) release(k);
      for (const done of probes.values()) done(false);
      await Promise.all([...inflight, ...unsubscribe.map((u) => u().catch(warn('unsubscribe'))), store.delete('instances', instanceId).catch(warn('leave'))]);
    },
  };
}
