import { MeshError } from '../mesh/errors.ts';
import { redeemCode, waitForApproval } from './pairing-client.ts';

/**
 * `joinMesh({ invite })`: redeems the code and waits for an admin's approval (`onPairing` hears
 * that it waits). Pairing happens once per device (later joins use the device token), so this
 * loads on demand (the library's size budget, docs/browser-library.md "Size").
 */
export async function pairByInvite(
  invite: string,
  ctx: { base: string; name?: string | undefined; signal?: AbortSignal | undefined; onPairing?: ((e: { status: 'waiting'; requestId: string }) => void) | undefined },
): Promise<{ deviceToken: string; deviceId: string }> {
  const pending = await redeemCode(invite.trim().toUpperCase(), ctx.name ?? 'browser library', ctx.base);
  ctx.onPairing?.({ status: 'waiting', requestId: pending.requestId });
  const outcome = await waitForApproval(pending, ctx.signal ?? new AbortController().signal, ctx.base);
  if (outcome.status !== 'approved') throw new MeshError('unauthorized', `pairing ${outcome.status}`, { retryable: false });
  return { deviceToken: outcome.deviceToken, deviceId: outcome.deviceId };
}
