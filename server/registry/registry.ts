import type { AgentRecord, AgentRegistration, AgentView, Health } from '../../protocol/index.ts';
import type { Store } from '../store/store.ts';
import { buildSkillIndex, createSkillIndexCache } from './skill-index.ts';

interface Presence {
  peerId: string;
  lastSeen: number;
  load: number;
  /** Health when last swept, to notice the transition to offline exactly once. */
  health: Health;
}

export interface RegistryOptions {
  store: Store;
  now: () => number;
  /** Heartbeat younger than this is active (ms, default 90 s). */
  activeMs?: number;
  /** Younger than this is stale, older offline (ms, default 270 s). */
  staleMs?: number;
  /** Offline agents are removed this long after going offline (ms, default 10 min). */
  removeAfterMs?: number;
}

export interface Registry {
  /** Registers or replaces the caller's agent `reg.name`; counts as a heartbeat. */
  register(mesh: string, peerId: string, reg: AgentRegistration): Promise<AgentView>;
  heartbeat(mesh: string, peerId: string, load?: number): Promise<Health>;
  list(mesh: string, filter?: { skill?: string; health?: Health; peer?: string }): Promise<AgentView[]>;
  get(mesh: string, id: string): Promise<AgentView | undefined>;
  remove(mesh: string, id: string): Promise<boolean>;
  /** Active agent with `skill`: fewest in-flight tasks, then most recent heartbeat. */
  route(mesh: string, skill: string, inFlight: Map<string, number>, accept?: (a: AgentView) => boolean): Promise<AgentView | undefined>;
  /** Peers that just went offline (reported once each); removes long-offline agents. */
  sweep(): Promise<Array<{ mesh: string; peerId: string }>>;
  healthOf(lastSeen: number): Health;
}

const agentsNs = (mesh: string) => `agents:${mesh}`;
const presenceNs = (mesh: string) => `presence:${mesh}`;

/** How often the sweep looks for agents to remove (offline for `removeAfterMs`). */
const REMOVAL_PASS_MS = 60_000;

/** The agent registry with heartbeat-derived health; all state lives in `store`. */
export function createRegistry(opts: RegistryOptions): Registry {
  const { store, now } = opts;
  let lastRemoval = -Infinity;
  const activeMs = opts.activeMs ?? 90_000;
  const staleMs = opts.staleMs ?? 270_000;
  const removeAfterMs = opts.removeAfterMs ?? 600_000;
  const healthOf = (lastSeen: number): Health => {
    const age = now() - lastSeen;
    return age < activeMs ? 'active' : age < staleMs ? 'stale' : 'offline';
  };

  const skills = createSkillIndexCache(now, 1000, async (mesh) => {
    const [agents, presence] = await Promise.all([store.list<AgentRecord>(agentsNs(mesh)), store.list<Presence>(presenceNs(mesh))]);
    return buildSkillIndex(agents, presence);
  });
  const heartbeat = async (mesh: string, peerId: string, load = 0): Promise<Health> => {
    await store.put('meshes', mesh, mesh);
    const at = now();
    await store.put<Presence>(presenceNs(mesh), peerId, { peerId, lastSeen: at, load, health: 'active' });
    skills.heartbeat(mesh, peerId, at);
    return 'active';
  };

  const view = (a: AgentRecord, p: Presence | undefined, inFlight = 0): AgentView => {
    const lastSeen = p?.lastSeen ?? a.registeredAt;
    return { ...a, lastSeen, health: healthOf(lastSeen), inFlight };
  };

  const list: Registry['list'] = async (mesh, filter = {}) => {
    const [agents, presence] = await Promise.all([
      store.list<AgentRecord>(agentsNs(mesh)),
      store.list<Presence>(presenceNs(mesh)),
    ]);
    const byPeer = new Map(presence.map((p) => [p.peerId, p]));
    return agents
      .map((a) => view(a, byPeer.get(a.peerId)))
      .filter((a) =>
        (!filter.skill || a.skills.some((s) => s.name === filter.skill)) &&
        (!filter.health || a.health === filter.health) &&
        (!filter.peer || a.peerId === filter.peer))
      .sort((x, y) => x.id.localeCompare(y.id));
  };

  return {
    healthOf,
    heartbeat,
    list,
    async register(mesh, peerId, reg) {
      const id = `${peerId}:${reg.name}`;
      const record: AgentRecord = { ...reg, id, peerId, mesh, registeredAt: now() };
      await store.put(agentsNs(mesh), id, record);
      skills.invalidate(mesh);
      await heartbeat(mesh, peerId);
      return view(record, { peerId, lastSeen: now(), load: 0, health: 'active' });
    },
    async get(mesh, id) {
      const a = await store.get<AgentRecord>(agentsNs(mesh), id);
      if (!a) return undefined;
      return view(a, await store.get<Presence>(presenceNs(mesh), a.peerId));
    },
    async remove(mesh, id) {
      // Invalidated after the write, so a rebuild in between cannot keep the removed agent.
      const removed = await store.delete(agentsNs(mesh), id);
      skills.invalidate(mesh);
      return removed;
    },
    async route(mesh, skill, inFlight, accept = () => true) {
      // No sort and no view per agent: this runs per call, over the agents offering the skill.
      const index = await skills.get(mesh);
      let best: AgentView | undefined;
      let bestLoad = Infinity;
      for (const a of index.bySkill.get(skill) ?? []) {
        const lastSeen = index.lastSeen.get(a.peerId) ?? a.registeredAt;
        if (healthOf(lastSeen) !== 'active') continue;
        const load = inFlight.get(a.id) ?? 0;
        // Fewest in flight, then most recent heartbeat, then id (the order list() gives).
        if (best && (load > bestLoad || (load === bestLoad && (lastSeen < best.lastSeen || (lastSeen === best.lastSeen && a.id > best.id))))) continue;
        const v = view(a, { peerId: a.peerId, lastSeen, load: 0, health: 'active' }, load);
        if (!accept(v)) continue;
        best = v;
        bestLoad = load;
      }
      return best;
    },
    async sweep() {
      const gone: Array<{ mesh: string; peerId: string }> = [];
      // Removing long-offline agents reads every agent record; it runs at most once a minute (the
      // removal delay is 10 minutes), not on every sweep: the health pass alone scales with peers.
      const removeNow = now() - lastRemoval >= REMOVAL_PASS_MS;
      if (removeNow) lastRemoval = now();
      for (const mesh of await store.list<string>('meshes')) {
        const presence = new Map<string, Presence>();
        for (const p of await store.list<Presence>(presenceNs(mesh))) {
          presence.set(p.peerId, p);
          const health = healthOf(p.lastSeen);
          if (health === p.health) continue;
          // swap, so with several instances only one reports the transition.
          if (await store.swap(presenceNs(mesh), p.peerId, p, { ...p, health }) && health === 'offline') gone.push({ mesh, peerId: p.peerId });
        }
        if (!removeNow) continue;
        const cutoff = now() - staleMs - removeAfterMs;
        for (const a of await store.list<AgentRecord>(agentsNs(mesh))) {
          const p = presence.get(a.peerId);
          if ((p?.lastSeen ?? a.registeredAt) < cutoff) {
            await store.delete(agentsNs(mesh), a.id);
            skills.invalidate(mesh);
            if (p) await store.delete(presenceNs(mesh), p.peerId);
          }
        }
      }
      return gone;
    },
  };
}
