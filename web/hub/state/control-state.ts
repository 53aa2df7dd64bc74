import { signal } from '@preact/signals';
import type { AgentView, DeviceView, PairingRequestView, Role, Task, TopologyEdge, TopologyNode } from '../../../protocol/index.ts';
import type { AuthedFetch } from '../../lib/authed-api.ts';
import { AGENTS_CACHE_KEY } from '../session/hub-db.ts';

export interface TopologyView {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

function cachedAgents(): AgentView[] {
  try {
    const raw = globalThis.localStorage?.getItem(AGENTS_CACHE_KEY);
    return raw ? (JSON.parse(raw) as AgentView[]) : [];
  } catch {
    return [];
  }
}

/** The control plane's view of the mesh, refreshed by `startControlPolling`. */
// Starts from the last list seen so an offline reload can still show (and queue chat for) agents.
export const agents = signal<AgentView[]>(cachedAgents());
export const topology = signal<TopologyView>({ nodes: [], edges: [] });
export const tasks = signal<Task[]>([]);
export const pairingRequests = signal<PairingRequestView[]>([]);
export const devices = signal<DeviceView[]>([]);

/** An outstanding invite (GET /api/invites). */
export interface InviteView { code: string; url: string; role: Role; autoApprove: boolean; createdAt?: number; expiresAt: number }
/** Outstanding invites: kept here so they survive switching views. */
export const invites = signal<InviteView[]>([]);
/** An outstanding 6-digit CLI pairing code (GET /api/pairing/codes). */
export interface PairingCodeView { code: string; role: Role; createdAt?: number; expiresAt: number }
/** Outstanding pairing codes, listed next to the invites. */
export const pairingCodes = signal<PairingCodeView[]>([]);
/** The last refresh error, or undefined when the control plane answered. */
export const controlError = signal<string | undefined>(undefined);

export interface ControlPolling {
  /** Refreshes now (e.g. after submitting a task or when a peer joins). */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Polls agents, topology and tasks every `intervalMs` (default 3000) while the tab is visible,
 * plus the approval queue and devices for admins. One refresh runs at a time.
 */
export function startControlPolling(api: AuthedFetch, isAdmin: boolean, intervalMs = 3000): ControlPolling {
  let running: Promise<void> | undefined;
  let stopped = false;
  const once = async () => {
    try {
      const [a, t, k] = await Promise.all([
        api<{ agents: AgentView[] }>('/api/agents'),
        api<TopologyView & { mesh: string }>('/api/topology'),
        api<{ tasks: Task[] }>('/api/tasks?limit=100'),
      ]);
      // A refresh that lands after stop() (e.g. sign-out) must not write anything back.
      if (stopped) return;
      agents.value = a.agents;
      globalThis.localStorage?.setItem(AGENTS_CACHE_KEY, JSON.stringify(a.agents));
      topology.value = { nodes: t.nodes, edges: t.edges };
      tasks.value = k.tasks;
      if (isAdmin) await refreshAdmin(api);
      controlError.value = undefined;
    } catch (err) {
      // "Failed to fetch" means nothing to a person; say what to check instead.
      controlError.value = (err as { status?: number }).status === 0
        ? "cannot reach the server: check this device's network connection (the hub keeps retrying on its own)"
        : (err as Error).message;
    }
  };
  const refresh = () => (running ??= once().finally(() => (running = undefined)));
  const timer = setInterval(() => {
    if (!stopped && document.visibilityState === 'visible') void refresh();
  }, intervalMs);
  const self: ControlPolling = {
    refresh,
    stop() {
      stopped = true;
      clearInterval(timer);
      active.delete(self);
    },
  };
  active.add(self);
  void refresh();
  return self;
}

const active = new Set<ControlPolling>();

/**
 * Stops every polling now. Sign-out calls it before it forgets the device, so a refresh that is
 * still in flight cannot write the agent cache back after it was cleared.
 */
export function stopControlPolling(): void {
  for (const p of [...active]) p.stop();
}

/** Reloads the approval queue, device list, outstanding invites and pairing codes (admin only). */
export async function refreshAdmin(api: AuthedFetch): Promise<void> {
  const [r, d, i, c] = await Promise.all([
    api<{ requests: PairingRequestView[] }>('/api/pairing/requests'),
    api<{ devices: DeviceView[] }>('/api/devices'),
    api<{ invites: InviteView[] }>('/api/invites'),
    api<{ codes: PairingCodeView[] }>('/api/pairing/codes'),
  ]);
  pairingRequests.value = r.requests;
  devices.value = d.devices;
  invites.value = i.invites;
  pairingCodes.value = c.codes;
}
