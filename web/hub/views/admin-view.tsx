import { useEffect } from 'preact/hooks';
import type { SignedIn } from '../session/session-state.ts';
import { devices, pairingRequests, refreshAdmin, topology } from '../state/control-state.ts';
import { peerNames, shortId } from '../state/peer-names.ts';
import { AddNode, Invites, useAdminAction } from './invite-tools.tsx';

const when = (t: number) => new Date(t).toLocaleString();

function Approvals(props: { session: SignedIn }) {
  const { busy, error, act } = useAdminAction(props.session);
  const api = props.session.api;
  const pending = pairingRequests.value.filter((r) => r.status === 'pending');
  return (
    <section class="panel stack" data-testid="approvals" aria-labelledby="approvals-h">
      {/* The CLI's words: "approve it in the hub (Admin → Pairing requests)". */}
      <h2 id="approvals-h">Pairing requests ({pending.length})</h2>
      {error && <p class="error small" role="alert">{error}</p>}
      {!pending.length && <p class="muted">Nobody is waiting.</p>}
      <ul class="list">
        {pending.map((r) => (
          <li key={r.id} data-request={r.id} data-name={r.name}>
            <div class="row"><strong>{r.name}</strong><span class="chip">{r.role}</span><span class="muted small">via {r.via} from {r.ip} · {when(r.createdAt)}</span></div>
            <div class="row end">
              <button class="ghost" disabled={!!busy} onClick={() => void act(r.id, () => api(`/api/pairing/requests/${r.id}/reject`, { method: 'POST' }))}>Reject</button>
              <button disabled={!!busy} onClick={() => void act(r.id, () => api(`/api/pairing/requests/${r.id}/approve`, { method: 'POST' }))}>Approve</button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Paired devices (revocable here) and the peers connected with an API key (revoked by removing the key from the server's config). */
function Devices(props: { session: SignedIn }) {
  const { busy, error, act } = useAdminAction(props.session);
  const keyPeers = topology.value.nodes.filter((n) => n.credential === 'api-key' && n.connected);
  const active = devices.value.filter((d) => !d.revokedAt);
  return (
    <section class="panel stack" data-testid="devices" aria-labelledby="devices-h">
      <h2 id="devices-h">Devices ({active.length + keyPeers.length})</h2>
      {error && <p class="error small" role="alert">{error}</p>}
      <ul class="list">
        {keyPeers.map((n) => (
          <li key={n.peerId} data-key-peer={n.peerId} data-name={peerNames.value.get(n.peerId)?.name}>
            <div class="row">
              <strong title={n.peerId}>{peerNames.value.get(n.peerId)?.name ?? shortId(n.peerId)}</strong>
              <span class="chip">API key</span><span class="chip">{n.role}</span>
              <span class="muted small">connected now; to cut it off, remove its key from the server's TABMESH_API_KEYS</span>
            </div>
          </li>
        ))}
        {devices.value.map((d) => (
          <li key={d.id} data-device={d.id} data-name={d.name}>
            <div class="row">
              <strong>{d.name}</strong><span class="chip">paired device</span><span class="chip">{d.role}</span>
              <span class="muted small">{d.revokedAt ? `revoked ${when(d.revokedAt)}` : `paired ${when(d.createdAt)}`}</span>
              <span class="spacer" />
              {!d.revokedAt && (
                <button class="danger" disabled={!!busy} onClick={() => confirm(`Revoke ${d.name}? It is disconnected at once.`) && void act(d.id, () => props.session.api(`/api/devices/${d.id}`, { method: 'DELETE' }))}>Revoke</button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {!devices.value.length && !keyPeers.length && <p class="muted">No paired devices yet.</p>}
    </section>
  );
}

/** Admin tools: pairing requests, devices with revoke, invite links with QR codes, a pairing code for the CLI. */
export function AdminView(props: { session: SignedIn }) {
  useEffect(() => void refreshAdmin(props.session.api).catch(() => undefined), [props.session]);
  return (
    <div class="grid two">
      <div class="stack"><Approvals session={props.session} /><Devices session={props.session} /></div>
      <div class="stack"><Invites session={props.session} /><AddNode session={props.session} /></div>
    </div>
  );
}

/** The empty mesh's first screen for an admin: the two next steps. */
export function GetStarted(props: { session: SignedIn }) {
  return (
    <div class="grid two" data-testid="get-started">
      <Invites session={props.session} heading="1. Invite a phone or laptop" />
      <AddNode session={props.session} heading="2. Add a Raspberry Pi" />
    </div>
  );
}
