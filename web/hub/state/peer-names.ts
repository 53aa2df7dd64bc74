import { computed, signal } from '@preact/signals';
import type { AgentView, TopologyNode } from '../../../protocol/index.ts';
import { agents, topology } from './control-state.ts';

/** How the hub names one peer for a person; the id stays in `id` for detail views and tooltips. */
export interface PeerName {
  id: string;
  /** Device or agent name, e.g. `pi-kitchen`, `This tab`, `Browser tab`. */
  name: string;
  /** Platform and credential in words, e.g. `Node · API key · admin`. */
  detail: string;
}

/** This tab's peer id (set once signed in): names it "This tab". */
export const selfPeerId = signal('');

/** `k37bc58c0…d2f1` → `k37bc5…d2f1`: both ends, so two ids that share a prefix stay distinct. */
export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id;
}

const PLATFORM: Record<string, string> = { browser: 'Browser', node: 'Node' };

/**
 * Names every peer: this tab; else the name a device was paired under; else the name of its Node
 * agent (`tabmesh node --name`); else what it is. Equal names get the short id appended.
 */
export function namePeers(ids: Iterable<string>, nodes: TopologyNode[], agentList: AgentView[], self: string): Map<string, PeerName> {
  const byNode = new Map(nodes.map((n) => [n.peerId, n]));
  const agentsOf = new Map<string, AgentView[]>();
  for (const a of agentList) agentsOf.set(a.peerId, [...(agentsOf.get(a.peerId) ?? []), a]);
  const named = [...new Set(ids)].map((id): PeerName => {
    const node = byNode.get(id);
    const own = agentsOf.get(id) ?? [];
    const platform = node?.platform ?? own[0]?.platform ?? (id === self ? 'browser' : undefined);
    const nodeAgent = own.find((a) => a.platform === 'node');
    const name = id === self ? 'This tab' : node?.name ?? nodeAgent?.name ?? (platform === 'browser' ? 'Browser tab' : platform === 'node' ? 'Node peer' : 'Peer');
    const detail = [
      platform && PLATFORM[platform],
      node?.credential === 'api-key' ? 'API key' : node?.credential === 'device' ? 'paired device' : undefined,
      node?.role === 'admin' ? 'admin' : undefined,
    ].filter(Boolean).join(' · ');
    return { id, name, detail };
  });
  const count = new Map<string, number>();
  for (const p of named) count.set(p.name, (count.get(p.name) ?? 0) + 1);
  return new Map(named.map((p) => [p.id, count.get(p.name)! > 1 && p.id !== self ? { ...p, name: `${p.name} ${shortId(p.id)}` } : p]));
}

/** Every peer the hub knows of (topology, agents, this tab), named. */
export const peerNames = computed(() => {
  const t = topology.value;
  const ids = [...t.nodes.map((n) => n.peerId), ...agents.value.map((a) => a.peerId), ...t.edges.flatMap((e) => [e.a, e.b])];
  if (selfPeerId.value) ids.push(selfPeerId.value);
  return namePeers(ids, t.nodes, agents.value, selfPeerId.value);
});

/** A peer's name (falls back to the short id for a peer nobody reported yet). */
export function peerName(id: string): string {
  return peerNames.value.get(id)?.name ?? shortId(id);
}

/** `basic on pi-kitchen`: an agent by name and the peer it runs on. */
export function agentLabel(a: Pick<AgentView, 'name' | 'peerId'>): string {
  const peer = peerName(a.peerId);
  return peer === a.name ? a.name : `${a.name} on ${peer}`;
}
