import { useState } from 'preact/hooks';
import { cancelPairing, pairWithCode, signInWithKey } from '../session/session-state.ts';

export function Screen(props: { title: string; children: preact.ComponentChildren }) {
  return (
    <main class="screen panel stack" data-screen={props.title}>
      <img class="logo" src="/icons/icon.svg" alt="" />
      <h1>{props.title}</h1>
      {props.children}
    </main>
  );
}

export function StartingScreen() {
  return <Screen title="Starting"><p class="row"><span class="spinner" /> Loading this tab's identity…</p></Screen>;
}

/** Shown while sign-out forgets this device, until the page reloads onto the join screen. */
export function SigningOutScreen() {
  return <Screen title="Signing out"><p class="row"><span class="spinner" /> Forgetting this device…</p></Screen>;
}

/** Shown on plain-http LAN origins, where browsers withhold what a peer needs. */
export function InsecureScreen(props: { missing: string[] }) {
  const port = location.port ? `:${location.port}` : '';
  const local = `http://localhost${port}/`;
  return (
    <Screen title="This page needs a secure origin">
      <p>
        You opened the hub at <code>{location.origin}</code>. Browsers treat plain <code>http://</code> on anything but
        localhost as insecure and withhold what a mesh peer needs:
      </p>
      <ul class="missing">{props.missing.map((m) => <li key={m}>{m}</li>)}</ul>
      <p>Fix it in one of these ways:</p>
      <ol class="stack">
        <li><strong>HTTPS</strong>: start the server with <code>TLS_CERT_FILE</code> and <code>TLS_KEY_FILE</code>, or put it behind a reverse proxy with a certificate, then open the <code>https://</code> address.</li>
        <li><strong>A tunnel</strong>: an HTTPS tunnel (e.g. cloudflared, ngrok, tailscale serve) to port {location.port || '80'} gives you a secure public URL.</li>
        <li><strong>localhost</strong>: on the server's own machine open <a href={local}>{local}</a>; from another computer forward the port first: <code>ssh -L {location.port || '8787'}:localhost:{location.port || '8787'} user@{location.hostname}</code>.</li>
      </ol>
    </Screen>
  );
}

/** A form whose submit runs `action` once at a time (the button is disabled meanwhile). */
function useSubmit(): [boolean, (action: () => Promise<void>) => (e: Event) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const run = (action: () => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try { await action(); } finally { setBusy(false); }
  };
  return [busy, run];
}

/** Redeems a pairing or invite code for this device. */
export function CodeForm(props: { label: string }) {
  const [code, setCode] = useState('');
  const [busy, run] = useSubmit();
  return (
    <form class="stack" onSubmit={run(() => pairWithCode(code))}>
      <label class="field">Pairing or invite code
        <input name="code" value={code} onInput={(e) => setCode(e.currentTarget.value)} autocomplete="one-time-code" placeholder="123456" required />
      </label>
      <button disabled={busy || !code.trim()}>{props.label}</button>
    </form>
  );
}

/** Signs in with an admin (or agent) key. */
export function KeyForm(props: { label: string }) {
  const [key, setKey] = useState('');
  const [busy, run] = useSubmit();
  return (
    <form class="stack" onSubmit={run(() => signInWithKey(key.trim()))}>
      <label class="field">Admin key
        <input name="key" type="password" value={key} onInput={(e) => setKey(e.currentTarget.value)} autocomplete="off" required />
      </label>
      <button class="ghost" disabled={busy || !key.trim()}>{props.label}</button>
    </form>
  );
}

/** The join form. A guest (someone who came with an invite) never sees the admin sign-in; others find it folded away. */
export function SignedOutScreen(props: { notice?: string | undefined; guest?: boolean | undefined }) {
  return (
    <Screen title="Join the mesh">
      {props.notice && <p class="notice" role="alert">{props.notice}</p>}
      <p class="muted">Open an invite link from your admin, or enter the code from it.</p>
      <CodeForm label="Pair this device" />
      {!props.guest && (
        <details class="admin-signin">
          <summary>I run this server: sign in with the admin key</summary>
          <div class="stack">
            <p class="muted small">The server printed the admin key (and an admin link) when it first started; it is also in <code>admin.key</code> in its data directory.</p>
            <KeyForm label="Sign in as admin" />
          </div>
        </details>
      )}
    </Screen>
  );
}

export function WaitingScreen(props: { name: string; peerId: string }) {
  return (
    <Screen title="Waiting for approval">
      <p class="row"><span class="spinner" /> An admin has to approve this device before it joins.</p>
      <p>Ask them to open the hub's <strong>Admin</strong> tab and approve:</p>
      <p class="chip mono" data-testid="pairing-name">{props.name}</p>
      <p class="muted small">This page continues on its own once approved; you can close it and come back.</p>
      <button class="ghost" onClick={() => void cancelPairing()}>Cancel</button>
    </Screen>
  );
}

export function FailedScreen(props: { message: string }) {
  return (
    <Screen title="Something went wrong">
      <p class="error" role="alert">{props.message}</p>
      <button onClick={() => location.reload()}>Reload</button>
    </Screen>
  );
}
