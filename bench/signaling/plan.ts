/** What one signaling benchmark run does; `quick` is for development, not for docs. */
export interface SignalingPlan {
  clientCounts: number[];
  /** Each (server, client count) is measured this many times, alternating servers; the best run counts. */
  rounds: number;
  warmupMs: number;
  durationMs: number;
  /** Frames all clients together keep in flight; each client gets ceil(this / clients), at least 1. */
  targetInFlight: number;
  idleConnections: number;
  /** tabmesh meshes hold this many idle peers each (presence is per mesh: join cost grows with its square). */
  idlePeersPerMesh: number;
  /** Connections opened and closed before the baseline reading, so lazy start-up costs stay out of it. */
  warmConnections: number;
}

export const FULL_PLAN: SignalingPlan = {
  clientCounts: [2, 50, 500], rounds: 3, warmupMs: 1000, durationMs: 3000, targetInFlight: 64,
  idleConnections: 5000, idlePeersPerMesh: 100, warmConnections: 200,
};

export const QUICK_PLAN: SignalingPlan = {
  ...FULL_PLAN, rounds: 1, warmupMs: 300, durationMs: 1000, idleConnections: 1000,
};

/** Frames each of `clients` keeps in flight to its partner. */
export const windowFor = (plan: SignalingPlan, clients: number) => Math.max(1, Math.ceil(plan.targetInFlight / clients));
