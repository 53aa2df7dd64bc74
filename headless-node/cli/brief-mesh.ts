import { createMesh, type Mesh } from '../../web/mesh/index.ts';
import { MeshError } from '../../web/mesh/index.ts';
import type { MeshPlatform } from '../../web/mesh/index.ts';
import { CliError, EXIT } from './command-line.ts';
import { connectionError, type CliSession } from './cli-session.ts';
import { createEmptyAgentHost } from './empty-agent-host.ts';
import { trace, traceMesh } from './trace.ts';

/**
 * Joins the mesh for one command (call, ping) without offering skills or dialing everyone,
 * checks that `target` is present, runs `fn`, and always leaves again.
 */
export async function withBriefMesh<T>(
  session: CliSession,
  opts: { platform: MeshPlatform; p2p: boolean; target: string },
  fn: (mesh: Mesh) => Promise<T>,
): Promise<T> {
  const mesh = createMesh({ url: session.url, platform: opts.platform, identity: session.identity, getToken: () => session.tokens.getToken(), host: createEmptyAgentHost(), p2p: opts.p2p, autoConnect: false });
  traceMesh(mesh);
  try {
    const joined = await mesh.start().catch((err: unknown) => {
      throw connectionError(session.url, err);
    });
    trace(`joined as ${joined.peerId} with ${joined.peers.length} peers`);
    if (!joined.peers.includes(opts.target)) throw new CliError(`peer "${opts.target}" is not in the mesh (tabmesh peers lists who is)`, EXIT.failed);
    const out = await fn(mesh);
    trace('done, leaving');
    return out;
  } finally {
    await mesh.stop();
    trace('left');
  }
}

/** One line saying why a mesh request failed, for the CLI. */
export function describeMeshFailure(err: unknown, what: string, timeoutMs: number): CliError {
  if (!(err instanceof MeshError)) return new CliError(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  if (err.remote) return new CliError(`${what} failed: [${err.code}] ${err.message}`);
  if (err.code === 'timeout') return new CliError(`${what}: no answer within ${timeoutMs / 1000} s`);
  return new CliError(`${what} failed: [${err.code}] ${err.message}`);
}
