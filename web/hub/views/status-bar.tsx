import { agentTransports } from '../state/agent-transports.ts';
import { links, signalingStatus, tierSummary } from '../state/mesh-state.ts';
import { online } from '../state/chat-state.ts';
import { shortId } from '../state/peer-names.ts';
import type { SignedIn } from '../session/session-state.ts';
import { signOut } from '../session/session-state.ts';

const STATUS_TEXT = {
  connecting: 'Connecting to the server…',
  online: 'Online',
  reconnecting: 'Reconnecting to the server; open links keep working',
  offline: 'Offline; messages wait on this device',
} as const;

/** `2 direct links, 1 relayed`: this tab's open links in words. */
export function linksInWords(t: { direct: number; relayed: number; routed?: number; fallback: number }): string {
  const routed = t.routed ?? 0;
  const parts = [t.direct && `${t.direct} direct`, t.relayed && `${t.relayed} relayed`, routed && `${routed} through peers`, t.fallback && `${t.fallback} via the server`].filter(Boolean) as string[];
  const total = t.direct + t.relayed + routed + t.fallback;
  if (!total) return 'no peer links yet';
  return `${parts.join(', ')} link${total === 1 ? '' : 's'}`;
}

/** This tab's connection state, link tiers and identity, with sign-out. */
export function StatusBar(props: { session: SignedIn }) {
  const status = online.value ? signalingStatus.value : 'offline';
  const t = tierSummary.value;
  const dot = status === 'online' ? 'active' : status === 'offline' ? 'offline' : 'stale';
  const best = t.direct ? 'direct' : t.relayed ? 'relayed' : t.routed ? 'routed' : t.fallback ? 'fallback' : t.unknown ? 'unknown' : undefined;
  const transports = [...agentTransports.value.values()].map((a) => `${a.agent} via ${a.transport === 'datachannel' ? 'its own DataChannels' : a.transport === 'bridge' ? 'the MessagePort bridge' : '(no link yet)'}`);
  const id = props.session.identity.peerId;
  return (
    <header class="top">
      <h1 class="brand"><img src="/icons/icon.svg" alt="" width="26" height="26" /> tabmesh</h1>
      <div class="row status" role="status" aria-live="polite">
        <span class="chip" data-testid="signaling-status" data-status={status}><span class={`dot ${dot}`} /> {STATUS_TEXT[status]}</span>
        <span class="chip" data-testid="tier" data-tier={best ?? 'none'} title="this tab's open DataChannels by tier">
          {best ? <span class={`tier-${best}`}>{linksInWords(t)}</span> : <span class="muted">{links.value.size ? 'links opening…' : linksInWords(t)}</span>}
        </span>
      </div>
      <span class="chip" data-testid="peer-id" data-peer-id={id} title={`This tab's peer id ${id}; mesh ${props.session.mesh}, role ${props.session.role}${transports.length ? `; agents: ${transports.join(', ')}` : ''}`}>
        This tab <span class="mono muted">{shortId(id)}</span>{props.session.role === 'admin' ? ' · admin' : ''}
      </span>
      <button class="ghost small" onClick={() => confirm('Forget this device? You will need a new invite to rejoin, and chat messages still queued are discarded.') && void signOut()}>Sign out</button>
    </header>
  );
}
