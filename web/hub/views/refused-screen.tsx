import { useEffect, useState } from 'preact/hooks';
import type { OutboxEntry, RefusalReason, StoredCredential } from '../session/hub-db.ts';
import { retryCredential, signOut } from '../session/session-state.ts';
import { createOutbox } from '../state/outbox.ts';
import { CodeForm, KeyForm, Screen } from './join-screens.tsx';

/** What happened, in plain words, per credential kind and refusal reason. */
function explanation(kind: StoredCredential['kind'], reason: RefusalReason): { title: string; what: string; todo: string } {
  if (kind === 'key') {
    return reason === 'revoked'
      ? { title: 'This key was revoked', what: 'The key this browser signed in with was revoked on the server.', todo: 'Sign in with a current key, or join with an invite link or pairing code.' }
      : { title: 'The server no longer accepts this key', what: `The server at ${location.host} does not know the key this browser signed in with (it was removed or changed).`, todo: 'Sign in with the current admin key, or join with an invite link or pairing code.' };
  }
  return reason === 'revoked'
    ? { title: 'This device was revoked', what: 'This device was revoked by an admin.', todo: 'If that was a mistake, ask the admin for a new invite link or pairing code and pair again here.' }
    : { title: 'This server no longer knows this device', what: `The server at ${location.host} refused this device's credential: it may have been reset or lost its data.`, todo: 'Ask the admin for a new invite link or pairing code and pair again here.' };
}

function QueuedMessages(props: { queued: OutboxEntry[] }) {
  if (!props.queued.length) return <p class="muted small">Nothing was waiting to be sent.</p>;
  const n = props.queued.length;
  return (
    <div class="stack" data-testid="refused-outbox">
      <p>{n === 1 ? 'One message you queued is' : `${n} messages you queued are`} kept on this device and sent once it has joined again:</p>
      <ul class="list">
        {props.queued.map((m) => (
          <li key={m.id} data-outbox-id={m.id}>
            <span class="muted small">to {m.agent ? `${m.agent} on ` : ''}<span class="mono truncate">{m.to}</span></span>
            <div>{m.text}</div>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Shown when the server refused this device's stored credential. Nothing is deleted until the
 * person chooses to: pairing again keeps the outbox and identity; only "discard" forgets them.
 */
export function RefusedScreen(props: { reason: RefusalReason; credential: StoredCredential['kind']; notice?: string | undefined }) {
  const [queued, setQueued] = useState<OutboxEntry[] | undefined>();
  useEffect(() => void createOutbox().list().then(setQueued), []);
  const { title, what, todo } = explanation(props.credential, props.reason);
  const discard = () => {
    const n = queued?.length ?? 0;
    const question = n ? `Discard ${n} queued message${n === 1 ? '' : 's'} and forget this device?` : 'Forget this device?';
    if (confirm(question)) void signOut();
  };
  return (
    <Screen title={title}>
      {props.notice && <p class="notice" role="alert">{props.notice}</p>}
      <p role="status" data-refusal={props.reason}>{what}</p>
      <p>{todo}</p>
      {queued && <QueuedMessages queued={queued} />}
      <CodeForm label="Pair again" />
      {props.credential === 'key' && <KeyForm label="Sign in with another key" />}
      <div class="row">
        <button class="ghost" onClick={() => void retryCredential()}>Try again</button>
        <button class="danger" onClick={discard}>{queued?.length ? 'Discard queued messages and sign out' : 'Sign out'}</button>
      </div>
    </Screen>
  );
}
