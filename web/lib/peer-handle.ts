import type { AgentInfo, AgentView, Role, Task, Tier } from '../../protocol/index.ts';
import type { AgentHost } from '../mesh/agent-host.ts';
import type { Emitter } from '../mesh/emitter.ts';
import { MeshError } from '../mesh/errors.ts';
import type { CallResult as MeshCallResult, ChatResult, IdentityEvent, Mesh, MeshEvents } from '../mesh/mesh-types.ts';
import type { RouteInfo } from '../mesh/routing/peer-route-types.ts';
import type { AuthedFetch } from './authed-api.ts';
import type { WorkerAgentView } from './worker-agents.ts';

/** A peer in the mesh as the page sees it. */
export interface PeerView {
  peerId: string;
  role: Role | undefined;
  /** Connected to the signaling server now. */
  present: boolean;
  /** `open` when messages flow (on any tier). */
  state: RouteInfo['state'];
  tier: Tier;
  rttMs: number | undefined;
}

/** What a call reports while it runs. */
export interface CallOptions {
  /** Streamed results: each chunk the skill yields, in order. */
  onChunk?: (chunk: unknown) => void;
  /** Aborting cancels the call on the peer too (the skill's signal aborts) and rejects with code `cancelled`. */
  signal?: AbortSignal;
  /** Default 60 s; sent to the peer as well. */
  timeoutMs?: number;
  /**
   * Bytes moved on the link to this peer while the call runs (both directions, all traffic on the
   * link's main DataChannel), reported as they change: a progress bar for large inputs and
   * outputs. Calls carried by an agent channel or the server relay report none.
   */
  onProgress?: (p: { sentBytes: number; receivedBytes: number }) => void;
}

export interface PeerEvents {
  'peer-joined': { peerId: string; role: Role };
  'peer-left': { peerId: string; reason: string };
  /** A link's state, tier or round-trip changed. */
  link: RouteInfo;
  /** The tier to a peer changed (direct, relayed, fallback). */
  tier: { peerId: string; tier: Tier; previous: Tier | undefined };
  /** The signaling connection: `open`, `connecting` (reconnecting), `stopped`. */
  signaling: MeshEvents['signaling'];
  error: MeshEvents['error'];
  /** The server refused or revoked this peer's credential; the peer has stopped. */
  fatal: MeshError;
  /** A peer proved its key on a new DataChannel (`verified`), or failed and is cut off (`refused`). */
  identity: IdentityEvent;
  /** A task this page submitted to the server's queue (`POST /api/tasks`) finished, failed or expired. */
  'task-updated': Task;
  /** A Worker agent's transport changed (its own DataChannels, or the MessagePort bridge). */
  'worker-agents': WorkerAgentView[];
}

/** What `call` resolves with; `tier` is `local` when the skill ran in this page (a call to itself). */
export type CallResult = Omit<MeshCallResult, 'tier'> & { tier: Tier | 'local' };

/** A page's peer in the mesh: what `joinMesh` resolves with. */
export interface TabmeshPeer {
  readonly peerId: string;
  readonly mesh: string;
  /** Set when this join paired by invite: store it with the identity to join again without a code. */
  readonly deviceToken: string | undefined;
  peers(): PeerView[];
  /** Every link with its details: when it opened, its round trip, the peer's key check, the last error, bytes moved. */
  links(): RouteInfo[];
  /** How peers' calls reach this page's Worker agents (empty without `workers` / `builtinAgents`). */
  workerAgents(): Promise<WorkerAgentView[]>;
  /** Agents registered in the mesh (the server's registry), optionally those offering `skill`. */
  agents(opts?: { skill?: string }): Promise<AgentView[]>;
  /** The agents and skills `peerId` offers, asked over the mesh. */
  skills(peerId: string, opts?: { timeoutMs?: number }): Promise<AgentInfo[]>;
  /** Runs `skill` on `peerId` (this page's own id runs it here, tier `local`). */
  call(peerId: string, skill: string, input?: unknown, opts?: CallOptions): Promise<CallResult>;
  /** Runs `skill` on whichever active agent offers it (the server picks the least loaded). */
  callSkill(skill: string, input?: unknown, opts?: CallOptions): Promise<CallResult>;
  /** Sends `text` to the peer's chat skill (or its agent `agent`'s); `onChunk` gets each streamed piece. */
  chat(peerId: string, text: string, opts?: { agent?: string; timeoutMs?: number; signal?: AbortSignal; onChunk?: (piece: string) => void }): Promise<ChatResult>;
  ping(peerId: string): Promise<{ rttMs: number; tier: Tier }>;
  on<K extends keyof PeerEvents>(event: K, fn: (value: PeerEvents[K]) => void): () => void;
  /** Says bye to every peer, stops this page's agents, closes the connections. */
  leave(): Promise<void>;
}

/** Wraps a started mesh in the library's public surface. */
export function createPeerHandle(o: {
  mesh: Mesh; events: Emitter<PeerEvents>; peerId: string; meshName(): string; api: AuthedFetch; host: AgentHost;
  deviceToken?: string; workerViews?: () => Promise<WorkerAgentView[]>; onLeave(): Promise<void>;
}): TabmeshPeer {
  const { mesh, api, events, host } = o;
  const tiers = new Map<string, Tier>();
  const forward = <K extends keyof MeshEvents & keyof PeerEvents>(k: K) => mesh.on(k, (v) => events.emit(k, v as unknown as PeerEvents[K]));
  const offs = [
    forward('peer-joined'), forward('peer-left'), forward('signaling'), forward('error'), forward('fatal'), forward('identity'), forward('task-updated'),
    mesh.on('link', (l) => {
      events.emit('link', l);
      const previous = tiers.get(l.peerId);
      if (l.state === 'open' && previous !== l.tier) {
        tiers.set(l.peerId, l.tier);
        events.emit('tier', { peerId: l.peerId, tier: l.tier, previous });
      }
    }),
  ];

  async function call(peerId: string, skill: string, input: unknown, opts: CallOptions = {}): Promise<CallResult> {
    if (peerId === o.peerId) {
      // This page's own agents, without the network (e.g. callSkill routed to this page).
      const start = Date.now();
      const signal = opts.signal ?? new AbortController().signal;
      const output = await host.run(skill, input, { signal, ...(opts.onChunk ? { onChunk: opts.onChunk } : {}) });
      return { output, peerId, tier: 'local', ms: Date.now() - start };
    }
    // Loaded by the first call that asks for progress (most calls do not): the library's size budget.
    const stopProgress = opts.onProgress ? (await import('./call-progress.ts')).watchProgress(mesh, peerId, opts.onProgress) : () => undefined;
    try {
      return await mesh.call(peerId, skill, input, {
        ...(opts.onChunk ? { stream: true, onChunk: opts.onChunk } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      });
    } finally {
      stopProgress();
    }
  }

  return {
    peerId: o.peerId,
    get mesh() {
      return o.meshName();
    },
    deviceToken: o.deviceToken,
    peers: () =>
      mesh.peers().map((p) => ({ peerId: p.peerId, role: p.role, present: p.present, state: p.link.state, tier: p.link.tier, rttMs: p.link.rttMs })),
    async agents(q = {}) {
      const query = q.skill ? `?skill=${encodeURIComponent(q.skill)}` : '';
      return (await api<{ agents: AgentView[] }>(`/api/agents${query}`)).agents;
    },
    links: () => mesh.links(),
    workerAgents: async () => (o.workerViews ? o.workerViews() : []),
    skills: (peerId, opts) => mesh.skills(peerId, opts),
    chat: (peerId, text, opts) => mesh.chat(peerId, text, opts),
    call: (peerId, skill, input, opts) => call(peerId, skill, input, opts),
    async callSkill(skill, input, opts) {
      const { agent } = await api<{ agent: AgentView }>(`/api/route?skill=${encodeURIComponent(skill)}`);
      return call(agent.peerId, skill, input, opts);
    },
    ping: (peerId) => mesh.ping(peerId),
    on: (event, fn) => events.on(event, fn),
    async leave() {
      offs.forEach((off) => off());
      await mesh.stop();
      await o.onLeave();
    },
  };
}
