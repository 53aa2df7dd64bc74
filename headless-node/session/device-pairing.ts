import { setTimeout as sleep } from 'node:timers/promises';
import { createBackoff } from '../../web/mesh/backoff.ts';
import { ApiError, requestJson } from '../../web/hub/session/http.ts';
import { CliError, EXIT } from '../cli/command-line.ts';
import type { DataDir } from './data-dir.ts';

/** A device token obtained by pairing, saved in the data dir (credential.json, 0600). */
export interface SavedCredential {
  url: string;
  deviceToken: string;
  deviceId: string;
  mesh: string;
  pairedAt: string;
}

interface PendingPairing {
  url: string;
  requestId: string;
  secret: string;
  name: string;
}

export const CREDENTIAL_FILE = 'credential.json';
const PENDING_FILE = 'pairing.json';
const LONG_POLL_SECONDS = 25;

/** The saved device token for `url`, if this data dir has one. */
export function savedCredential(dir: DataDir, url: string): SavedCredential | undefined {
  const saved = dir.read<SavedCredential>(CREDENTIAL_FILE);
  return saved && saved.url === url ? saved : undefined;
}

/**
 * Pairs this node: redeems `code` (or resumes a request saved in the data dir), long-polls until
 * an admin approves, and saves the device token. Rejection, expiry and a bad code are CliErrors.
 */
export async function pairDevice(opts: { url: string; code: string; name: string; dir: DataDir; signal: AbortSignal; log: (line: string) => void }): Promise<SavedCredential> {
  const { url, dir, log } = opts;
  let pending = dir.read<PendingPairing>(PENDING_FILE);
  if (!pending || pending.url !== url || pending.name !== opts.name) {
    const res = await requestJson<{ requestId: string; secret: string }>(`${url}/api/pairing/redeem`, {
      method: 'POST', json: { code: opts.code, name: opts.name }, signal: opts.signal,
    }).catch((err: unknown) => {
      throw err instanceof ApiError && err.status !== 0 ? new CliError(`pairing code refused: ${err.message}`, EXIT.connection) : err;
    });
    pending = { url, requestId: res.requestId, secret: res.secret, name: opts.name };
    // Saved so a restart while waiting resumes this request instead of burning a new code.
    dir.write(PENDING_FILE, pending);
  }
  log(`pairing request sent as "${opts.name}"; approve it in the hub (Admin → Pairing requests). Waiting…`);
  const outcome = await waitForDecision(pending, opts.signal);
  if (outcome.status !== 'approved') {
    dir.remove(PENDING_FILE);
    const why = { rejected: 'an admin rejected this pairing request', expired: 'the pairing request expired', delivered: 'the device token was already handed out to another poll' }[outcome.status];
    throw new CliError(`${why}; ask for a new pairing code`, EXIT.connection);
  }
  const saved: SavedCredential = { url, deviceToken: outcome.deviceToken, deviceId: outcome.deviceId, mesh: outcome.mesh, pairedAt: new Date().toISOString() };
  dir.write(CREDENTIAL_FILE, saved);
  dir.remove(PENDING_FILE);
  log(`paired: device ${saved.deviceId} in mesh "${saved.mesh}"; token saved in ${dir.path}`);
  return saved;
}

type Decision = { status: 'approved'; deviceToken: string; deviceId: string; mesh: string } | { status: 'rejected' | 'expired' | 'delivered' };

async function waitForDecision(p: PendingPairing, signal: AbortSignal): Promise<Decision> {
  const backoff = createBackoff({ maxMs: 10_000 });
  for (;;) {
    signal.throwIfAborted();
    try {
      const res = await requestJson<{ status: string; deviceToken?: string; deviceId?: string; mesh?: string }>(
        `${p.url}/api/pairing/requests/${encodeURIComponent(p.requestId)}/status?wait=${LONG_POLL_SECONDS}`,
        { headers: { 'x-pairing-secret': p.secret }, signal },
      );
      backoff.reset();
      if (res.status === 'approved' && res.deviceToken && res.deviceId && res.mesh) {
        return { status: 'approved', deviceToken: res.deviceToken, deviceId: res.deviceId, mesh: res.mesh };
      }
      if (res.status === 'rejected' || res.status === 'expired' || res.status === 'delivered') return { status: res.status };
    } catch (err) {
      signal.throwIfAborted();
      // Unknown request: it expired or the server forgot it (in-memory store restarted).
      if (err instanceof ApiError && err.status === 404) return { status: 'expired' };
      if (err instanceof ApiError && err.status !== 0 && err.status < 500) throw new CliError(`pairing failed: ${err.message}`, EXIT.connection);
      // Server down or restarting: keep waiting with a capped backoff.
      await sleep(backoff.next(), undefined, { signal });
    }
  }
}

