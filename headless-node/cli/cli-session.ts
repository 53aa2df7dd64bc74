import { generateIdentity, type Identity } from '../../protocol/index.ts';
import { ApiError } from '../../protocol/api-client.ts';
import { MeshError } from '../../web/mesh/index.ts';
import { createControlPlaneClient, type ControlPlaneClient } from '../session/control-plane-client.ts';
import { createNodeTokenSource, type NodeTokenSource } from '../session/token-source.ts';
import { CliError, EXIT } from './command-line.ts';

/** A short-lived CLI identity (call, ping, peers): an ephemeral key, the peer id it stands for, and its tokens. */
export interface CliSession {
  url: string;
  peerId: string;
  /** The key behind `peerId`; the mesh proves it on every DataChannel. */
  identity: Identity;
  tokens: NodeTokenSource;
  controlPlane: ControlPlaneClient;
}

/**
 * Exchanges the credential for a first token so a wrong key or an unreachable server fails at
 * once with exit code 3 and a plain message. A one-shot command has no data dir to keep a key in,
 * so it makes a key for this run only (kept in memory): its peer id is that key's `k…` id.
 */
export async function openCliSession(url: string, secret: string, identity?: Identity): Promise<CliSession> {
  const own = identity ?? (await generateIdentity(false)).identity;
  const tokens = createNodeTokenSource({ url, secret, identity: own });
  await tokens.getToken().catch((err: unknown) => {
    throw connectionError(url, err);
  });
  return { url, peerId: own.peerId, identity: own, tokens, controlPlane: createControlPlaneClient(url, () => tokens.getToken()) };
}

/** Maps token-exchange and HTTP failures to a CliError with exit code 3 (connection/auth). */
export function connectionError(url: string, err: unknown): CliError {
  if (err instanceof MeshError && !err.retryable) return new CliError(`${err.message} (check --key / --token)`, EXIT.connection);
  if (err instanceof ApiError && err.status === 0) return new CliError(`${url}: ${err.message}`, EXIT.connection);
  if (err instanceof ApiError) return new CliError(`${url} answered ${err.status}: ${err.message}`, EXIT.connection);
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.connection);
}
