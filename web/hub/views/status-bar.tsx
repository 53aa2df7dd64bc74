import { agentTransports } from '../state/agent-transports.ts';
import { links, signalingStatus, tierSummary } from '../state/mesh-state.ts';
import { online } from '../state/chat-state.ts';
import type { SignedIn } from '../session/session-state.ts';
import { signOut } from '../session/session-state.ts';

const STATUS_TEXT = { connecting: 'connecting', online: 'online', reconnecting: 'reconnecting', offline: 'offline' } as const;

/** This tab's connection state, link tiers and identity, with sign-out. */
export function StatusBar(props: { session: SignedIn }) {
  const status = online.value ? signalingStatus.value : 'offline';
  const t = tierSummary.value;
  const dot = status === 'online' ? 'active' : status === 'offline' ? 'offline' : 'stale';
  const best = t.direct ? 'direct' : t.relayed ? 'relayed' : t.fallback ? 'fallback' : t.unknown ? 'unknown' : undefined;
  const transports = [...agentTransports.value.values()].map((a) => `${a.agent} via ${a.transport === 'datachannel' ? 'its own DataChannels' : a.transport === 'bridge' ? 'the MessagePort bridge' : '(no link yet)'}`);
  return (
    <header class="top">
      <span class="brand"><img src="/icons/icon.svg" alt="" /> tabmesh</span>
      <span class="chip" data-testid="signaling-status" data-status={status}><span class={`dot ${dot}`} /> {STATUS_TEXT[status]}</span>
      <span class="chip" data-testid="tier" data-tier={best ?? 'none'} title="open DataChannels by tier">
        {best ? <span class={`tier-${best}`}>{best}</span> : <span class="muted">no links</span>}
        {links.value.size > 0 && <span class="muted" title="direct·relayed·fallback·unknown">{t.direct}·{t.relayed}·{t.fallback}{t.unknown > 0 && `·${t.unknown}`}</span>}
      </span>
      <span class="spacer" />
      <span class="chip mono" data-testid="peer-id" title={`mesh ${props.session.mesh}, role ${props.session.role}${transports.length ? `; agents: ${transports.join(', ')}` : ''}`}>
        {props.session.identity.peerId}
      </span>
      {props.session.role === 'admin' && <span class="chip">admin</span>}
      <button class="ghost small" onClick={() => confirm('Forget this device? You will need a new invite to rejoin, and chat messages still queued are discarded.') && void signOut()}>Sign out</button>
    </header>
  );
}
