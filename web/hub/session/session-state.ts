import { signal } from '@preact/signals';
import { createAuthedFetch, type AuthedFetch } from '../../lib/authed-api.ts';
import { takeHashIntent } from './hash-intent.ts';
import { ApiError } from '../../lib/http.ts';
import {
  forgetDevice, loadCredential, loadPendingPairing, saveCredential, savePendingPairing,
  type PendingPairing, type StoredCredential,
} from './hub-db.ts';
import type { Identity } from '../../../server/protocol/identity.ts';
import { loadIdentity } from './identity.ts';
import { deviceLabel, missingFeatures } from './origin-check.ts';
import { stopControlPolling } from '../state/control-state.ts';
import { redeemCode, waitForApproval } from '../../lib/pairing-client.ts';
import { createTokenSource, type TokenSource } from '../../lib/token-source.ts';

/** Everything a signed-in tab needs to talk to the server as itself. */
export interface SignedIn {
  identity: Identity;
  credential: StoredCredential;
  role: 'admin' | 'agent';
  mesh: string;
  tokens: TokenSource;
  api: AuthedFetch;
}

export type Phase =
  | { kind: 'starting' }
  | { kind: 'insecure'; missing: string[] }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'signing-out' }
  | { kind: 'waiting-approval'; name: string; peerId: string }
  | { kind: 'ready'; session: SignedIn }
  | { kind: 'failed'; message: string };

/** The hub's sign-in state; views render from it. */
export const phase = signal<Phase>({ kind: 'starting' });

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('tabmesh-session') : undefined;
let identity: Identity | undefined;
let waiting: AbortController | undefined;

/** Starts the hub: origin check, then the URL fragment, then what IndexedDB remembers. */
export async function boot(): Promise<void> {
  const missing = missingFeatures();
  if (missing.length) return void (phase.value = { kind: 'insecure', missing });
  channel?.addEventListener('message', (e) => {
    // Another tab of this browser signed out: the credential is gone for us too.
    if ((e.data as { type?: string }).type !== 'signed-out') return;
    stopControlPolling();
    location.replace('/');
  });
  try {
    const intent = takeHashIntent();
    identity = await loadIdentity();
    if (intent.kind === 'admin') return await signInWithKey(intent.key);
    const stored = await loadCredential();
    if (intent.kind === 'invite' && !stored) return await pairWithCode(intent.code);
    if (stored) return await enter(stored);
    const pending = await loadPendingPairing();
    if (pending) return await wait(pending.name, pending);
    phase.value = { kind: 'signed-out' };
  } catch (err) {
    phase.value = { kind: 'failed', message: (err as Error).message };
  }
}

/** Signs in with an API key (the admin key from the server's first start, or an agent key). */
export async function signInWithKey(key: string): Promise<void> {
  await enter({ kind: 'key', secret: key }, true);
}

/** Redeems a pairing or invite code and waits for an admin to approve this device. */
export async function pairWithCode(code: string): Promise<void> {
  const id = need();
  const name = `${deviceLabel()} · ${id.peerId.slice(1, 7)}`;
  try {
    const pending = await redeemCode(code.trim().toUpperCase(), name);
    await savePendingPairing(pending);
    await wait(name, pending);
  } catch (err) {
    phase.value = { kind: 'signed-out', notice: `That code did not work: ${(err as Error).message}` };
  }
}

/**
 * Leaves `ready`: the dashboard unmounts (stopping the mesh) on the next render, so the control
 * polling stops now, before anything is forgotten; a refresh in flight then writes nothing back.
 */
function leaveReady(next: Phase): void {
  phase.value = next;
  stopControlPolling();
}

/** Forgets this device (credential, identity, outbox) in every tab of this browser. */
export async function signOut(): Promise<void> {
  waiting?.abort();
  // Not 'signed-out': the join screen belongs to the fresh page location.replace loads, so
  // nobody acts on a join screen that a navigation is about to discard.
  leaveReady({ kind: 'signing-out' });
  await forgetDevice();
  channel?.postMessage({ type: 'signed-out' });
  location.replace('/');
}

/**
 * The server refused or revoked this device while it was running: forget the credential (it will
 * never work again) and show the join screen with the reason.
 */
export async function endSession(err: { code: string; message: string }): Promise<void> {
  if (phase.value.kind !== 'ready') return;
  const stored = phase.value.session.credential;
  leaveReady({ kind: 'signed-out', notice: rejectionText(err) });
  if (stored.kind === 'device' || err.code === 'revoked') await forgetDevice();
}

/** Stops waiting for approval and drops the pending request. */
export async function cancelPairing(): Promise<void> {
  waiting?.abort();
  await savePendingPairing(undefined);
  phase.value = { kind: 'signed-out' };
}

function need(): Identity {
  if (!identity) throw new Error('identity not loaded');
  return identity;
}

async function wait(name: string, pending: PendingPairing): Promise<void> {
  const id = need();
  phase.value = { kind: 'waiting-approval', name, peerId: id.peerId };
  waiting = new AbortController();
  let outcome;
  try {
    outcome = await waitForApproval(pending, waiting.signal);
  } catch (err) {
    if ((err as Error).name === 'AbortError') return;
    await savePendingPairing(undefined);
    phase.value = { kind: 'signed-out', notice: `Pairing failed: ${(err as Error).message}` };
    return;
  }
  await savePendingPairing(undefined);
  if (outcome.status !== 'approved') {
    const why = { rejected: 'An admin rejected this device.', expired: 'The pairing request expired.', delivered: 'This request was already used by another tab.' }[outcome.status];
    phase.value = { kind: 'signed-out', notice: why };
    return;
  }
  await enter({ kind: 'device', secret: outcome.deviceToken, deviceId: outcome.deviceId, mesh: outcome.mesh, name });
}

/** Exchanges the credential once (proving it works), stores it, and switches to `ready`. */
async function enter(credential: StoredCredential, fresh = false): Promise<void> {
  const id = need();
  let rejected: ApiError | undefined;
  const tokens = createTokenSource(credential, id, (err) => {
    rejected = err;
    void endSession(err);
  });
  try {
    await tokens.getToken();
  } catch (err) {
    if (rejected) {
      // A stored credential the server refuses (revoked device, removed key) is useless: forget it.
      if (!fresh) await forgetDevice();
      phase.value = { kind: 'signed-out', notice: rejectionText(rejected) };
      return;
    }
    // Server unreachable or restarting: keep the credential; the mesh retries on its own.
    if (!(err instanceof ApiError && (err.status === 0 || err.status >= 500))) throw err;
  }
  const last = tokens.last();
  const full: StoredCredential = { ...credential, ...(last ? { role: last.role, mesh: last.mesh } : {}) };
  await saveCredential(full);
  phase.value = {
    kind: 'ready',
    session: { identity: id, credential: full, role: full.role ?? 'agent', mesh: full.mesh ?? 'default', tokens, api: createAuthedFetch(tokens) },
  };
}

function rejectionText(err: { code: string; message: string }): string {
  return err.code === 'revoked' ? 'This device was revoked by an admin.' : `The server refused this device's credential (${err.message}).`;
}
