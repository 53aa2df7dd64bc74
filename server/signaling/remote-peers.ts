import type { PeerSummary } from '../../protocol/index.ts';

/** A peer's presence record in the store: who it is and which instance holds its socket. */
export interface PresenceRecord extends PeerSummary {
  instance: string;
}

/** What a reconciliation pass changed, for the caller to announce to its local peers. */
export interface ReconcileResult {
  joined: PeerSummary[];
  left: string[];
}

/**
 * This instance's view of the peers connected to other instances. Pub/sub keeps it current; a
 * periodic pass against the store repairs what pub/sub lost (store outages, dead instances).
 */
export interface RemotePeers {
  /** A `peer-joined` from `rec.instance`; false when it changes nothing (already known there). */
  joined(mesh: string, rec: PresenceRecord): boolean;
  /** A `peer-left` from `origin`; false when the peer is known on another instance by now (stale news). */
  left(mesh: string, peerId: string, origin: string): boolean;
  /** This instance took `peerId` over: it is local now. */
  drop(mesh: string, peerId: string): void;
  list(mesh: string): PeerSummary[];
  has(mesh: string, peerId: string): boolean;
  /** The instance holding `peerId`'s socket, as far as this cache knows. */
  instanceOf(mesh: string, peerId: string): string | undefined;
  meshes(): string[];
  /** Opens a pass (passes never overlap); the epoch goes to `reconcile` with the snapshot read after it. */
  begin(): number;
  /**
   * Applies a store snapshot (live records of other instances) taken after `epoch`. Peers that
   * pub/sub touched since then are left alone (the snapshot is older news); a cached peer is
   * dropped only when missing from `strikes` consecutive snapshots, so a store that restarted
   * empty does not make every remote peer leave and rejoin while instances re-announce.
   */
  reconcile(mesh: string, epoch: number, live: PresenceRecord[]): ReconcileResult;
}

const summary = ({ instance: _i, ...p }: PresenceRecord): PeerSummary => p;

/** Creates the remote-peer cache; `strikes` (default 2) missed snapshots make a peer gone. */
export function createRemotePeers(strikes = 2): RemotePeers {
  const byMesh = new Map<string, Map<string, PresenceRecord>>();
  const touched = new Map<string, number>();
  const misses = new Map<string, number>();
  let epoch = 0;
  const k = (mesh: string, peerId: string) => `${mesh}\n${peerId}`;
  const touch = (mesh: string, peerId: string) => void touched.set(k(mesh, peerId), ++epoch);

  const set = (mesh: string, rec: PresenceRecord) => {
    let m = byMesh.get(mesh);
    if (!m) byMesh.set(mesh, (m = new Map()));
    m.set(rec.peerId, rec);
    misses.delete(k(mesh, rec.peerId));
  };
  const unset = (mesh: string, peerId: string) => {
    const m = byMesh.get(mesh);
    m?.delete(peerId);
    if (m?.size === 0) byMesh.delete(mesh);
    misses.delete(k(mesh, peerId));
  };

  return {
    joined(mesh, rec) {
      touch(mesh, rec.peerId);
      const known = byMesh.get(mesh)?.get(rec.peerId);
      set(mesh, rec);
      return known?.instance !== rec.instance || known.joinedAt !== rec.joinedAt;
    },
    left(mesh, peerId, origin) {
      touch(mesh, peerId);
      const known = byMesh.get(mesh)?.get(peerId);
      // The peer moved to another instance before the old one's goodbye arrived.
      if (known && known.instance !== origin) return false;
      unset(mesh, peerId);
      return true;
    },
    drop(mesh, peerId) {
      touch(mesh, peerId);
      unset(mesh, peerId);
    },
    list: (mesh) => [...(byMesh.get(mesh)?.values() ?? [])].map(summary),
    has: (mesh, peerId) => byMesh.get(mesh)?.has(peerId) ?? false,
    instanceOf: (mesh, peerId) => byMesh.get(mesh)?.get(peerId)?.instance,
    meshes: () => [...byMesh.keys()],
    begin() {
      // Only touches after the pass began matter, and no earlier pass is still running.
      touched.clear();
      return ++epoch;
    },
    reconcile(mesh, since, live) {
      const fresh = (peerId: string) => (touched.get(k(mesh, peerId)) ?? 0) <= since;
      const out: ReconcileResult = { joined: [], left: [] };
      const seen = new Set<string>();
      for (const rec of live) {
        seen.add(rec.peerId);
        if (!fresh(rec.peerId)) continue;
        const known = byMesh.get(mesh)?.get(rec.peerId);
        set(mesh, rec);
        if (!known) out.joined.push(summary(rec));
      }
      for (const peerId of [...(byMesh.get(mesh)?.keys() ?? [])]) {
        if (seen.has(peerId) || !fresh(peerId)) continue;
        const n = (misses.get(k(mesh, peerId)) ?? 0) + 1;
        if (n < strikes) {
          misses.set(k(mesh, peerId), n);
          continue;
        }
        unset(mesh, peerId);
        out.left.push(peerId);
      }
      return out;
    },
  };
}
