/** How long one read of a mesh's topology keeps its peers reporting every link change, ms. */
export const TOPOLOGY_WATCH_MS = 60_000;

/**
 * Which meshes someone is watching (reading `GET /api/topology`), so that peers send link changes
 * only then. A mesh nobody watches costs the server one periodic report per peer per 30 s instead
 * of one per burst of link changes per peer: with routing over peers, a report is most of what a
 * new link still costs the server. A read renews the watch only when less than half of it is
 * left, so a hub polling every 3 s costs one broadcast to the mesh per 30 s.
 */
export interface TopologyWatch {
  /** A read of `mesh`'s topology: true when the peers must be told (it was not watched, or half the window is gone). */
  touch(mesh: string): boolean;
  /** What another instance told its peers: `ms` of watching from now. */
  heard(mesh: string, ms: number): void;
  /** How long `mesh` is still watched, ms (0: not watched). */
  remaining(mesh: string): number;
}

export function createTopologyWatch(now: () => number, windowMs = TOPOLOGY_WATCH_MS): TopologyWatch {
  const until = new Map<string, number>();
  const remaining = (mesh: string) => {
    const left = (until.get(mesh) ?? 0) - now();
    // Ended watches are dropped on the next look, so the map holds only meshes read lately.
    if (left <= 0) until.delete(mesh);
    return Math.max(0, left);
  };
  return {
    touch(mesh) {
      if (remaining(mesh) > windowMs / 2) return false;
      until.set(mesh, now() + windowMs);
      return true;
    },
    heard(mesh, ms) {
      until.set(mesh, Math.max(until.get(mesh) ?? 0, now() + ms));
    },
    remaining,
  };
}
