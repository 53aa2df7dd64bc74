import { randomId } from '../../web/mesh/platform.ts';
import { ApiError } from '../../web/lib/http.ts';
import { MeshError } from '../../web/mesh/errors.ts';
import { createControlPlaneClient, type ControlPlaneClient } from '../session/control-plane-client.ts';
import { createNodeTokenSource, type NodeTokenSource } from '../session/token-source.ts';
import { CliError, EXIT } from './command-line.ts';

/** A short-lived CLI identity (call, ping, peers): an ephemeral peer id and its tokens. */
export interface CliSession {
  url: string;
  peerId: string;
  tokens: NodeTokenSource;
  controlPlane: ControlPlaneClient;
}

/** A fresh peer id for one CLI invocation: `cli-` + 10 random URL-safe chars. */
export const ephemeralPeerId = (): string => `cli-${randomId(10).replace(/^[_-]/, 'x')}`;

/**
 * Exchanges the credential for a first token so a wrong key or an unreachable server fails at
 * once with exit code 3 and a plain message.
 */
export async function openCliSession(url: string, secret: string, peerId = ephemeralPeerId()): Promise<CliSession> {
  const tokens = createNodeTokenSource({ url, secret, peerId });
  await tokens.getToken().catch((err: unknown) => {
    throw connectionError(url, err);
  });
  return { url, peerId, tokens, controlPlane: createControlPlaneClient(url, () => tokens.getToken()) };
}

/** Maps token-exchange and HTTP failures to a CliError with exit code 3 (connection/auth). */
export function connectionError(url: string, err: unknown): CliError {
  if (err instanceof MeshError && !err.retryable) return new CliError(`${err.message} (check --key / --token)`, EXIT.connection);
  if (err instanceof ApiError && err.status === 0) return new CliError(`${url}: ${err.message}`, EXIT.connection);
  if (err instanceof ApiError) return new CliError(`${url} answered ${err.status}: ${err.message}`, EXIT.connection);
  return new CliError(err instanceof Error ? err.message : String(err), EXIT.connection);
}
