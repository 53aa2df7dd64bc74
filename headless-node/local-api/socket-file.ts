import { chmodSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { join } from 'node:path';

/** The socket a running node serves in its data dir. */
export const SOCKET_NAME = 'node.sock';
/** sun_path holds 108 bytes on Linux (104 on macOS) including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

/** Where a node started with --local-api-port announces its TCP port and token (0600). */
export const TCP_INFO_FILE = 'local-api.json';

export const localApiSocketPath = (dataDir: string): string => join(dataDir, SOCKET_NAME);

/** Another node already serves this data dir, or the socket cannot be made safely. */
export class SocketClaimError extends Error {
  override name = 'SocketClaimError';
}

/** Resolves true when something accepts connections on `path`, false when nothing listens there. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * Binds `server` to `path` with mode 0600. A socket file left by a node that crashed (nobody
 * answers on it) is replaced; a live one means another node runs on this data dir: refused.
 */
export async function claimSocket(server: Server, path: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new SocketClaimError(`the local API socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes (a Unix socket limit): use a shorter --data-dir, or --local-api-port`);
  }
  const existing = lstatOrUndefined(path);
  if (existing) {
    if (!existing.isSocket()) throw new SocketClaimError(`${path} exists and is not a socket; move it away`);
    if (await socketAnswers(path)) throw new SocketClaimError(`another tabmesh node is already running on this data dir (${path} answers); stop it first or use another --data-dir`);
    unlinkSync(path);
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new SocketClaimError(`another tabmesh node is already running on this data dir (${path} is taken)`) : err);
    };
    server.once('error', onError);
    // The data dir is 0700 already, so nobody else can reach the socket between bind and chmod.
    server.listen(path, () => (server.off('error', onError), resolve()));
  });
  chmodSync(path, 0o600);
  checkPrivate(path);
}

/** The owner-only check: the socket is 0600 and its dir 0700, both owned by this process's user. */
function checkPrivate(path: string): void {
  const uid = process.getuid?.();
  const sock = statSync(path);
  const dir = statSync(join(path, '..'));
  if ((sock.mode & 0o777) !== 0o600 || (dir.mode & 0o777) !== 0o700 || (uid !== undefined && (sock.uid !== uid || dir.uid !== uid))) {
    throw new SocketClaimError(`${path} could not be made private (socket ${(sock.mode & 0o777).toString(8)}, dir ${(dir.mode & 0o777).toString(8)}); refusing to serve it`);
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
