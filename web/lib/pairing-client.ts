import { createBackoff } from '../../protocol/backoff.ts';
import { ApiError, requestJson } from '../../protocol/api-client.ts';

export type PairingOutcome =
  | { status: 'approved'; deviceToken: string; deviceId: string; mesh: string }
  | { status: 'rejected' | 'expired' | 'delivered' };

/** A redeemed code waiting for an admin: what `waitForApproval` needs (the hub keeps it in IndexedDB). */
export interface PendingPairing {
  requestId: string;
  secret: string;
  name: string;
  createdAt: number;
}

/**
 * Redeems a 6-digit pairing code or an invite code; the result is what `waitForApproval` needs.
 * `base` is the server's origin ('' = this page's).
 */
export async function redeemCode(code: string, name: string, base = ''): Promise<PendingPairing> {
  const res = await requestJson<{ requestId: string; secret: string; status: string }>(`${base}/api/pairing/redeem`, {
    method: 'POST',
    json: { code, name },
  });
  return { requestId: res.requestId, secret: res.secret, name, createdAt: Date.now() };
}

const LONG_POLL_SECONDS = 25;

/** Resolves after `ms`, or at once when `signal` aborts (the loop then throws). */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

/**
 * Long-polls the request's status until an admin decides (or it expires). Network failures and
 * server restarts are retried with a capped full-jitter backoff; only `signal` stops the wait (it
 * rejects with the signal's reason: an AbortError unless the caller gave another). A refusal other
 * than 404 (which means the request is gone: expired, or the server lost its memory on restart)
 * rejects with the server's `ApiError`. The hub and `tabmesh node` both wait through this.
 */
export async function waitForApproval(p: Pick<PendingPairing, 'requestId' | 'secret'>, signal: AbortSignal, base = ''): Promise<PairingOutcome> {
  const backoff = createBackoff({ maxMs: 10_000 });
  for (;;) {
    if (signal.aborted) throw signal.reason;
    try {
      const res = await requestJson<{ status: string; deviceToken?: string; deviceId?: string; mesh?: string }>(
        `${base}/api/pairing/requests/${encodeURIComponent(p.requestId)}/status?wait=${LONG_POLL_SECONDS}`,
        { headers: { 'x-pairing-secret': p.secret }, signal },
      );
      backoff.reset();
      if (res.status === 'approved' && res.deviceToken && res.deviceId && res.mesh) {
        return { status: 'approved', deviceToken: res.deviceToken, deviceId: res.deviceId, mesh: res.mesh };
      }
      if (res.status === 'rejected' || res.status === 'expired' || res.status === 'delivered') return { status: res.status };
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof ApiError && err.status === 404) return { status: 'expired' };
      if (err instanceof ApiError && err.status !== 0 && err.status < 500) throw err;
      await pause(backoff.next(), signal);
    }
  }
}
