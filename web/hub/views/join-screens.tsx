import { useState } from 'preact/hooks';
import { cancelPairing, pairWithCode, signInWithKey } from '../session/session-state.ts';

function Screen(props: { title: string; children: preact.ComponentChildren }) {
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

/** The join form. A guest (someone who came with an invite) never sees the admin sign-in; others find it folded away. */
export function SignedOutScreen(props: { notice?: string | undefined; guest?: boolean | undefined }) {
  const [code, setCode] = useState('');
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const run = (fn: () => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try { await fn(); } finally { setBusy(false); }
  };
  return (
    <Screen title="Join the mesh">
      {props.notice && <p class="notice" role="alert">{props.notice}</p>}
      <p class="muted">Open an invite link from your admin, or enter the code from it.</p>
      <form class="stack" onSubmit={run(() => pairWithCode(code))}>
        <label class="field">Pairing or invite code
          <input name="code" value={code} onInput={(e) => setCode(e.currentTarget.value)} autocomplete="one-time-code" placeholder="123456" required />
        </label>
        <button disabled={busy || !code.trim()}>Pair this device</button>
      </form>
      {!props.guest && (
        <details class="admin-signin">
          <summary>I run this server: sign in with the admin key</summary>
          <form class="stack" onSubmit={run(() => signInWithKey(key.trim()))}>
            <p class="muted small">The server printed the admin key (and an admin link) when it first started; it is also in <code>admin.key</code> in its data directory.</p>
            <label class="field">Admin key
              <input name="key" type="password" value={key} onInput={(e) => setKey(e.currentTarget.value)} autocomplete="off" required />
            </label>
            <button class="ghost" disabled={busy || !key.trim()}>Sign in as admin</button>
          </form>
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
