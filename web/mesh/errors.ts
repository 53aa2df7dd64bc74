/**
 * Every failure the mesh reports to a caller. `code` is stable and machine-readable:
 * timeout, peer-left, unknown-peer, stopped, cancelled, too-large, backpressure, link-down,
 * signaling-lost, unreachable, unauthorized, revoked, bad-message, bad-frame, plus any code a
 * remote skill or peer sent back (then `remote` is true).
 */
export class MeshError extends Error {
  override name = 'MeshError';
  readonly peerId: string | undefined;
  /** True when the code came from the remote peer (task-error / error reply). */
  readonly remote: boolean;
  /** False when retrying cannot help (bad credentials, revoked). */
  readonly retryable: boolean;

  constructor(readonly code: string, message: string, opts: { peerId?: string; remote?: boolean; retryable?: boolean } = {}) {
    super(message);
    this.peerId = opts.peerId;
    this.remote = opts.remote ?? false;
    this.retryable = opts.retryable ?? true;
  }
}

/** Wraps anything thrown into a MeshError, keeping MeshErrors as they are. */
export function toMeshError(err: unknown, code = 'internal'): MeshError {
  if (err instanceof MeshError) return err;
  return new MeshError(code, err instanceof Error ? err.message : String(err));
}
