import { useEffect, useState } from 'preact/hooks';
import type { SignedIn } from '../session/session-state.ts';
import { devices, pairingRequests, refreshAdmin } from '../state/control-state.ts';
import { QrCode } from './qr-code.tsx';

const when = (t: number) => new Date(t).toLocaleString();

function useAction(session: SignedIn) {
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const act = async (key: string, fn: () => Promise<unknown>) => {
    setBusy(key);
    setError(undefined);
    try {
      await fn();
      await refreshAdmin(session.api);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  return { busy, error, act };
}

function Approvals(props: { session: SignedIn }) {
  const { busy, error, act } = useAction(props.session);
  const api = props.session.api;
  const pending = pairingRequests.value.filter((r) => r.status === 'pending');
  return (
    <section class="panel stack" data-testid="approvals">
      <h2>Waiting for approval ({pending.length})</h2>
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

function Devices(props: { session: SignedIn }) {
  const { busy, error, act } = useAction(props.session);
  return (
    <section class="panel stack" data-testid="devices">
      <h2>Devices ({devices.value.filter((d) => !d.revokedAt).length})</h2>
      {error && <p class="error small" role="alert">{error}</p>}
      <ul class="list">
        {devices.value.map((d) => (
          <li key={d.id} data-device={d.id} data-name={d.name}>
            <div class="row">
              <strong>{d.name}</strong><span class="chip">{d.role}</span>
              <span class="muted small">{d.revokedAt ? `revoked ${when(d.revokedAt)}` : `paired ${when(d.createdAt)}`}</span>
              <span class="spacer" style="flex:1" />
              {!d.revokedAt && (
                <button class="danger" disabled={!!busy} onClick={() => confirm(`Revoke ${d.name}? It is disconnected at once.`) && void act(d.id, () => props.session.api(`/api/devices/${d.id}`, { method: 'DELETE' }))}>Revoke</button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {!devices.value.length && <p class="muted">No paired devices yet.</p>}
    </section>
  );
}

interface Invite { code: string; url: string; expiresAt: number; autoApprove: boolean }

function Invites(props: { session: SignedIn }) {
  const [autoApprove, setAutoApprove] = useState(false);
  const [invite, setInvite] = useState<Invite | undefined>();
  const [code, setCode] = useState<{ code: string; expiresAt: number } | undefined>();
  const { busy, error, act } = useAction(props.session);
  const api = props.session.api;
  return (
    <section class="panel stack" data-testid="invites">
      <h2>Invite a device</h2>
      {error && <p class="error small" role="alert">{error}</p>}
      <label class="row small"><input type="checkbox" style="width:auto" checked={autoApprove} onChange={(e) => setAutoApprove(e.currentTarget.checked)} /> Approve automatically (the first device that opens the link joins)</label>
      <div class="row">
        <button disabled={!!busy} onClick={() => void act('invite', async () => setInvite(await api<Invite>('/api/invites', { method: 'POST', json: { autoApprove } })))}>Create invite link</button>
        <button class="ghost" disabled={!!busy} onClick={() => void act('code', async () => setCode(await api<{ code: string; expiresAt: number }>('/api/pairing/codes', { method: 'POST', json: {} })))}>Pairing code for a CLI</button>
      </div>
      {invite && (
        <div class="stack" data-testid="invite">
          <QrCode text={invite.url} label="invite QR code" />
          <code class="mono" data-testid="invite-url" style="word-break:break-all">{invite.url}</code>
          <p class="muted small">Scan with a phone or share the link: it pairs one device. Expires {when(invite.expiresAt)}{invite.autoApprove ? '; approved automatically' : '; you approve each device here'}.</p>
          {/^(localhost|127\.|\[::1\])/.test(new URL(invite.url).host) && (
            <p class="notice small" data-testid="invite-loopback">This link points at this machine only. For a phone, set <code>TABMESH_PUBLIC_URL</code> to the server's HTTPS address (or open the hub through it) and create the invite again.</p>
          )}
        </div>
      )}
      {code && (
        <p data-testid="pairing-code">Pairing code <strong class="mono">{code.code}</strong> <span class="muted small">(single use, expires {when(code.expiresAt)}): <code>tabmesh node --url {location.origin} --code {code.code} --name NAME</code></span></p>
      )}
    </section>
  );
}

/** Admin tools: approval queue, devices with revoke, invite links with QR codes. */
export function AdminView(props: { session: SignedIn }) {
  useEffect(() => void refreshAdmin(props.session.api).catch(() => undefined), [props.session]);
  return (
    <div class="grid two">
      <div class="stack"><Approvals session={props.session} /><Devices session={props.session} /></div>
      <Invites session={props.session} />
    </div>
  );
}
