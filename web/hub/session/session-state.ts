import { signal } from '@preact/signals';
import { createAuthedFetch, type AuthedFetch } from '../../lib/authed-api.ts';
import { normalizeKey, takeHashIntent } from './hash-intent.ts';
import { ApiError } from '../../../protocol/api-client.ts';
import {
  forgetDevice, loadCredential, loadPendingPairing, saveCredential, savePendingPairing,
  type PendingPairing, type RefusalReason, type StoredCredential,
} from './hub-db.ts';
import type { Identity } from '../../../protocol/identity.ts';
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
  | { kind: 'signed-out'; notice?: string; guest?: boolean }
  | { kind: 'signing-out' }
  | { kind: 'waiting-approval'; name: string; peerId: string }
  | { kind: 'ready'; session: SignedIn }
  /** The server refused the stored credential; it and the outbox are kept until the person acts. */
  | { kind: 'refused'; reason: RefusalReason; credential: StoredCredential['kind']; notice?: string }
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
  // A link pasted into an open hub changes only the fragment: act on it too (and strip it).
  addEventListener('hashchange', () => void followHashLink());
  try {
    const intent = takeHashIntent();
    identity = await loadIdentity();
    if (intent.kind === 'admin') return await signInWithKey(intent.key);
    const stored = await loadCredential();
    // An invite opened on a refused device pairs it again (its outbox and identity stay).
    if (intent.kind === 'invite' && (!stored || stored.refused)) return await pairWithCode(intent.code);
    if (stored && !stored.refused) return await enter(stored);
    const pending = await loadPendingPairing();
    if (pending) return await wait(pending.name, pending);
    await toJoinScreen();
  } catch (err) {
    phase.value = { kind: 'failed', message: (err as Error).message };
  }
}

/** Signs in with an API key (the admin key from the server's first start, or an agent key). */
export async function signInWithKey(key: string): Promise<void> {
  await enter({ kind: 'key', secret: normalizeKey(key) }, true);
}

/** `#admin=` or `#invite=` arriving while the hub is open. */
async function followHashLink(): Promise<void> {
  const intent = takeHashIntent();
  if (intent.kind === 'none' || !identity) return;
  const current = phase.value;
  try {
    if (intent.kind === 'admin') {
      if (current.kind === 'ready') leaveReady({ kind: 'starting' });
      waiting?.abort();
      return await signInWithKey(intent.key);
    }
    // An invite is for a device that is not in the mesh yet; one that is keeps its credential.
    if (current.kind === 'ready' || current.kind === 'waiting-approval') {
      alert('This device is already in the mesh, so the invite link was not used. Open it on the device you want to add.');
      return;
    }
    await pairWithCode(intent.code);
  } catch (err) {
    phase.value = { kind: 'failed', message: (err as Error).message };
  }
}

/** What a refused pairing code means for the person holding it, and what to do. */
function pairingErrorText(err: unknown): string {
  const e = err as { code?: string; status?: number; message?: string };
  if (e.code === 'invalid-code' || e.status === 404) return 'This invite or code is unknown, expired, revoked or already used. Ask your admin for a new invite link.';
  if (e.code === 'too-many-attempts') return 'Too many attempts from this network. Wait a minute, then try again.';
  if (e.status === 0) return 'The server cannot be reached. Check your connection, then try again.';
  if (e.status === 400) return `That is not a valid code: ${e.message ?? ''}. A pairing code has 6 digits; an invite link ends in #invite= and 12 letters and digits.`;
  return `Pairing did not work (${e.message ?? 'unknown error'}). Try again, or ask your admin for a new invite link.`;
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
    await toJoinScreen(pairingErrorText(err), true);
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

/** Forgets this device (credential, identity, outbox: queued messages are discarded) in every tab of this browser. */
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
 * The server refused or revoked this device while it was running: mark the credential refused
 * (not deleted: the outbox and identity stay, and a reload still explains) and say what happened.
 */
export async function endSession(err: { code: string; message: string }): Promise<void> {
  if (phase.value.kind !== 'ready') return;
  const stored = phase.value.session.credential;
  const reason = refusalReason(err);
  leaveReady({ kind: 'refused', reason, credential: stored.kind });
  await saveCredential({ ...stored, refused: { reason, at: Date.now() } });
}

/** Tries the refused credential once more (the server's data may be back); refused again, nothing changes. */
export async function retryCredential(): Promise<void> {
  const stored = await loadCredential();
  if (!stored) return toJoinScreen();
  const { refused: _, ...credential } = stored;
  await enter(credential);
  if (phase.value.kind === 'refused') phase.value = { ...phase.value, notice: 'Tried again: the server still refuses this device.' };
}

/** Stops waiting for approval and drops the pending request. */
export async function cancelPairing(): Promise<void> {
  waiting?.abort();
  await savePendingPairing(undefined);
  await toJoinScreen();
}

/** The join screen: the refusal explained when the stored credential was refused, else plain. */
async function toJoinScreen(notice?: string, guest = false): Promise<void> {
  const stored = await loadCredential();
  if (stored?.refused) phase.value = { kind: 'refused', reason: stored.refused.reason, credential: stored.kind, ...(notice ? { notice } : {}) };
  else phase.value = { kind: 'signed-out', ...(notice ? { notice } : {}), ...(guest ? { guest } : {}) };
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
    await toJoinScreen(pairingErrorText(err), true);
    return;
  }
  await savePendingPairing(undefined);
  if (outcome.status !== 'approved') {
    const why = { rejected: 'An admin rejected this device.', expired: 'The pairing request expired. Open the invite link again, or ask your admin for a new one.', delivered: 'This request was already used by another tab.' }[outcome.status];
    await toJoinScreen(why, true);
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
      // A key typed just now: say so, and leave whatever is stored alone.
      if (fresh) return toJoinScreen(`The server refused this key (${rejected.message}).`);
      // A stored credential: keep it marked refused (with the outbox) and explain.
      const reason = refusalReason(rejected);
      await saveCredential({ ...credential, refused: { reason, at: Date.now() } });
      phase.value = { kind: 'refused', reason, credential: credential.kind };
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

/** 403 `revoked` (token exchange) or close 4403: an admin revoked it; any other refusal: unknown. */
function refusalReason(err: { code: string }): RefusalReason {
  return err.code === 'revoked' ? 'revoked' : 'unknown';
}
