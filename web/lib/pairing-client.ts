import { ApiError, requestJson } from './http.ts';

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

/**
 * Long-polls the request's status until an admin decides (or it expires). Network failures and
 * server restarts are retried with a capped backoff; only `signal` stops the wait.
 */
export async function waitForApproval(p: PendingPairing, signal: AbortSignal, base = ''): Promise<PairingOutcome> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const res = await requestJson<{ status: string; deviceToken?: string; deviceId?: string; mesh?: string }>(
        `${base}/api/pairing/requests/${encodeURIComponent(p.requestId)}/status?wait=${LONG_POLL_SECONDS}`,
        { headers: { 'x-pairing-secret': p.secret }, signal },
      );
      failures = 0;
      if (res.status === 'approved' && res.deviceToken && res.deviceId && res.mesh) {
        return { status: 'approved', deviceToken: res.deviceToken, deviceId: res.deviceId, mesh: res.mesh };
      }
      if (res.status === 'rejected' || res.status === 'expired' || res.status === 'delivered') return { status: res.status };
    } catch (err) {
      if (signal.aborted) break;
      // The request is gone (expired, or the server lost its memory on restart).
      if (err instanceof ApiError && err.status === 404) return { status: 'expired' };
      if (err instanceof ApiError && err.status !== 0 && err.status < 500) throw err;
      failures++;
      await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** failures)));
    }
  }
  throw new DOMException('pairing wait aborted', 'AbortError');
}
