import type { AgentView } from '../../../protocol/index.ts';
import type { AgentTransportView } from '../state/agent-transports.ts';
import { formatRtt } from '../state/mesh-links.ts';
import type { LinkView } from '../state/mesh-state.ts';
import { shortId, type PeerName } from '../state/peer-names.ts';
import { byCodeUnit } from '../state/text-order.ts';

export interface PeerRow {
  peerId: string;
  role?: string;
  connected: boolean;
  agents: AgentView[];
}

/** Merges registry agents and connected peers into one row per peer, this tab first. */
export function peerRows(agents: AgentView[], connected: Array<{ peerId: string; role: string }>, self: string): PeerRow[] {
  const rows = new Map<string, PeerRow>();
  const row = (peerId: string) => rows.get(peerId) ?? rows.set(peerId, { peerId, connected: false, agents: [] }).get(peerId)!;
  for (const p of connected) Object.assign(row(p.peerId), { role: p.role, connected: true });
  for (const a of agents) row(a.peerId).agents.push(a);
  row(self).connected = true;
  return [...rows.values()].sort((a, b) => (a.peerId === self ? -1 : b.peerId === self ? 1 : byCodeUnit(a.peerId, b.peerId)));
}

function LinkChip(props: { link: LinkView | undefined }) {
  const l = props.link;
  if (!l) return <span class="chip muted">no link</span>;
  if (l.identity === 'refused') {
    return <span class="chip bad" data-link-state={l.state} data-identity="refused" title={l.lastError}>⚠ identity refused</span>;
  }
  return (
    <span class="chip" data-link-state={l.state} data-tier={l.tier} data-rtt={l.rttMs} data-open-ms={l.openMs} data-identity={l.identity}
      title={l.openMs === undefined ? undefined : `DataChannel opened in ${l.openMs.toFixed(0)} ms`}>
      <span class={`dot ${l.state}`} /> <span class={`tier-${l.tier}`}>{l.tier}</span>
      {l.rttMs !== undefined && <span class="muted">{formatRtt(l.rttMs)}</span>}
    </span>
  );
}

/** How peers reach one of this tab's agents: its Worker's own DataChannels, or the main thread's bridge. */
function TransportChip(props: { t: AgentTransportView | undefined }) {
  const t = props.t;
  if (!t) return null;
  const label = t.transport === 'datachannel' ? '⇄ own DataChannels' : t.transport === 'bridge' ? '⇄ bridge' : '⇄ …';
  const title = `${t.reason ? `${t.reason}. ` : ''}${t.channels} channel(s) open; ${t.channelRuns} call(s) served on them, ${t.bridgeRuns} through the main thread`;
  return (
    <span class="chip muted" data-testid="agent-transport" data-transport={t.transport} data-channels={t.channels}
      data-channel-runs={t.channelRuns} data-bridge-runs={t.bridgeRuns} title={title}>{label}</span>
  );
}

/** Peers with their agents, skills and health, plus this tab's link to each and how its own agents are reached. */
export function PeerList(props: { rows: PeerRow[]; links: Map<string, LinkView>; self: string; names: Map<string, PeerName>; transports?: Map<string, AgentTransportView>; onChat?: (a: AgentView) => void }) {
  if (!props.rows.length) return <p class="muted">No peers yet.</p>;
  return (
    <ul class="list" data-testid="peer-list">
      {props.rows.map((r) => {
        const name = props.names.get(r.peerId);
        return (
        <li key={r.peerId} data-peer={r.peerId} data-name={name?.name}>
          <div class="row">
            <span class={`dot ${r.connected ? 'active' : 'offline'}`} title={r.connected ? 'connected to the server' : 'not connected'} />
            <strong class="peer-name" title={r.peerId}>{name?.name ?? shortId(r.peerId)}</strong>
            {name?.detail && <span class="muted small">{name.detail}</span>}
            {r.peerId !== props.self && <LinkChip link={props.links.get(r.peerId)} />}
          </div>
          <details class="small muted peer-id"><summary>id {shortId(r.peerId)}</summary><code class="mono">{r.peerId}</code></details>
          {r.agents.map((a) => (
            <div key={a.id} class="agent" data-agent={a.id} data-health={a.health}>
              <div class="row small">
                <span class={`dot ${a.health}`} /> <span>{a.name}</span>
                <span class="muted">{a.health} · {a.platform}{a.inFlight ? ` · ${a.inFlight} running` : ''}</span>
                {r.peerId === props.self && <TransportChip t={props.transports?.get(a.name)} />}
                {props.onChat && r.peerId !== props.self && <button class="ghost small" onClick={() => props.onChat!(a)} aria-label={`Chat with ${a.name} on ${name?.name ?? 'this peer'}`}>Chat</button>}
              </div>
              <div class="skills">{a.skills.map((s) => <span key={s.name} class="chip" title={s.description}>{s.name}{s.streaming ? ' ⇶' : ''}</span>)}</div>
            </div>
          ))}
        </li>
        );
      })}
    </ul>
  );
}
