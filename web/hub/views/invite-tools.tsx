import { useState } from 'preact/hooks';
import type { SignedIn } from '../session/session-state.ts';
import { invites, pairingCodes, refreshAdmin, type InviteView } from '../state/control-state.ts';
import { CommandLine, CopyButton, ShareButton } from './copy-button.tsx';
import { QrCode } from './qr-code.tsx';

const when = (t: number) => new Date(t).toLocaleString();
const isLoopback = (url: string) => /^(localhost|127\.|\[::1\])/.test(new URL(url).host);

/** Runs one admin action at a time, refreshes the admin lists afterwards and keeps the error in words. */
export function useAdminAction(session: SignedIn) {
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

function InviteItem(props: { invite: InviteView; open: boolean; onToggle: () => void; onRevoke: () => void; busy: boolean }) {
  const i = props.invite;
  return (
    <li data-invite={i.code}>
      <div class="row">
        <strong class="mono">{i.code}</strong>
        <span class="chip">{i.autoApprove ? 'joins at once' : 'you approve'}</span>
        <span class="muted small">expires {when(i.expiresAt)}</span>
      </div>
      <div class="row">
        <CopyButton text={i.url} what={`invite link ${i.code}`} label="Copy link" />
        <ShareButton url={i.url} title="Join my tabmesh" />
        <button type="button" class="ghost small" aria-expanded={props.open} onClick={props.onToggle}>{props.open ? 'Hide QR' : 'Show QR'}</button>
        <button type="button" class="danger small" disabled={props.busy} onClick={props.onRevoke}>Revoke</button>
      </div>
      {props.open && (
        <div class="stack" data-testid="invite">
          <QrCode text={i.url} label={`invite QR code ${i.code}`} />
          <code class="mono wrap" data-testid="invite-url">{i.url}</code>
          {isLoopback(i.url) && (
            <p class="notice small" data-testid="invite-loopback">This link points at this machine only. For a phone, set <code>TABMESH_PUBLIC_URL</code> to the server's HTTPS address (or open the hub through it) and create the invite again.</p>
          )}
        </div>
      )}
    </li>
  );
}

/** Create an invite link (optionally auto-approved) and keep every outstanding one listed with copy, share, QR and revoke. */
export function Invites(props: { session: SignedIn; heading?: string }) {
  const [autoApprove, setAutoApprove] = useState(false);
  const [open, setOpen] = useState<string | undefined>();
  const { busy, error, act } = useAdminAction(props.session);
  const api = props.session.api;
  const create = () => act('invite', async () => {
    const created = await api<{ code: string }>('/api/invites', { method: 'POST', json: { autoApprove } });
    setOpen(created.code);
  });
  const revoke = (code: string) => confirm(`Revoke invite ${code}? Its link stops working at once.`)
    && void act(code, () => api(`/api/invites/${code}`, { method: 'DELETE' }));
  return (
    <section class="panel stack" data-testid="invites" aria-labelledby="invites-h">
      <h2 id="invites-h">{props.heading ?? 'Invite links'}</h2>
      {error && <p class="error small" role="alert">{error}</p>}
      <label class="check small"><input type="checkbox" checked={autoApprove} onChange={(e) => setAutoApprove(e.currentTarget.checked)} /> Approve automatically (the first device that opens the link joins)</label>
      <div class="row"><button type="button" disabled={!!busy} onClick={() => void create()}>Create invite link</button></div>
      {invites.value.length
        ? <ul class="list" data-testid="invite-list">{invites.value.map((i) => <InviteItem key={i.code} invite={i} busy={!!busy} open={open === i.code} onToggle={() => setOpen(open === i.code ? undefined : i.code)} onRevoke={() => revoke(i.code)} />)}</ul>
        : <p class="muted small">No outstanding invites. A link works once, for 24 hours; scan its QR code with a phone or send it.</p>}
    </section>
  );
}

/**
 * A pairing code and the exact `tabmesh node` command for a Pi or any computer with Node.js 20;
 * every outstanding code is listed with revoke (a code read over someone's shoulder can be withdrawn).
 */
export function AddNode(props: { session: SignedIn; heading?: string }) {
  const [code, setCode] = useState<{ code: string; expiresAt: number } | undefined>();
  const { busy, error, act } = useAdminAction(props.session);
  const api = props.session.api;
  const command = `tabmesh node --url ${location.origin} --code ${code?.code ?? 'CODE'} --name pi-kitchen --skills echo,time,sysinfo`;
  const revoke = (c: string) => confirm(`Revoke pairing code ${c}? It stops working at once.`)
    && void act(c, async () => {
      await api(`/api/pairing/codes/${c}`, { method: 'DELETE' });
      if (code?.code === c) setCode(undefined);
    });
  return (
    <section class="panel stack" data-testid="add-node" aria-labelledby="add-node-h">
      <h2 id="add-node-h">{props.heading ?? 'Pairing code for a CLI'}</h2>
      <p class="small muted">On a Raspberry Pi (64-bit OS, Node.js 20, tabmesh installed: see docs/raspberry-pi.md) run this; it waits until you approve it under <strong>Pairing requests</strong>.</p>
      {error && <p class="error small" role="alert">{error}</p>}
      <div class="row">
        <button type="button" class="ghost" disabled={!!busy} onClick={() => void act('code', async () => setCode(await api<{ code: string; expiresAt: number }>('/api/pairing/codes', { method: 'POST', json: {} })))}>
          {code ? 'New pairing code' : 'Get a pairing code'}
        </button>
        {code && <span data-testid="pairing-code">Code <strong class="mono">{code.code}</strong> <span class="muted small">(single use, expires {new Date(code.expiresAt).toLocaleTimeString()})</span></span>}
      </div>
      <CommandLine command={command} what="tabmesh node command" />
      {pairingCodes.value.length > 0 && (
        <ul class="list" data-testid="pairing-code-list" aria-label="Outstanding pairing codes">
          {pairingCodes.value.map((c) => (
            <li key={c.code} data-pairing-code={c.code} class="row">
              <strong class="mono">{c.code}</strong>
              <span class="muted small">expires {new Date(c.expiresAt).toLocaleTimeString()}</span>
              <button type="button" class="danger small" disabled={!!busy} aria-label={`Revoke pairing code ${c.code}`} onClick={() => revoke(c.code)}>Revoke</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
