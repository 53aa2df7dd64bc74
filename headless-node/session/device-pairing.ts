import { ApiError, requestJson } from '../../protocol/api-client.ts';
import { type PairingOutcome, waitForApproval } from '../../web/lib/pairing-client.ts';
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

/** The shared long-poll (web/lib), with a refusal turned into a CliError this command can print. */
function waitForDecision(p: PendingPairing, signal: AbortSignal): Promise<PairingOutcome> {
  return waitForApproval(p, signal, p.url).catch((err: unknown) => {
    throw err instanceof ApiError && !signal.aborted ? new CliError(`pairing failed: ${err.message}`, EXIT.connection) : err;
  });
}
