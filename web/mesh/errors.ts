/**
 * Every code the mesh itself gives a MeshError, documented one per row in docs/protocol.md
 * ("Mesh error codes"; test/mesh/error-codes.test.ts keeps the two equal). The union makes the
 * compiler refuse an undocumented code at the throw site.
 */
export const MESH_ERROR_CODES = [
  'timeout', 'peer-left', 'unknown-peer', 'stopped', 'cancelled', 'too-large', 'backpressure',
  'link-down', 'signaling-lost', 'unreachable', 'unauthorized', 'revoked', 'token-failed',
  'bad-message', 'bad-url', 'not-started', 'identity-required', 'identity-mismatch',
  'identity-failed', 'chunk-handler', 'no-agent', 'no-node', 'join-failed', 'internal',
] as const;
export type MeshErrorCode = (typeof MESH_ERROR_CODES)[number];

export interface MeshErrorOptions {
  peerId?: string;
  remote?: boolean;
  retryable?: boolean;
}

// Only MeshError.withCode holds this, so outside code cannot reach the unchecked constructor.
const UNCHECKED: unique symbol = Symbol('unchecked code');

/**
 * Every failure the mesh reports to a caller. `code` is stable and machine-readable: one of
 * `MeshErrorCode`, or a code that arrived from elsewhere (see `withCode`).
 */
export class MeshError extends Error {
  override name = 'MeshError';
  /** A `MeshErrorCode`, or (from `withCode`) a remote skill's, the server's or the node's own. */
  readonly code: string;
  readonly peerId: string | undefined;
  /** True when the code came from the remote peer (task-error / error reply). */
  readonly remote: boolean;
  /** False when retrying cannot help (bad credentials, revoked). */
  readonly retryable: boolean;

  constructor(code: MeshErrorCode, message: string, opts?: MeshErrorOptions);
  constructor(code: string, message: string, opts: MeshErrorOptions, unchecked: typeof UNCHECKED);
  constructor(code: string, message: string, opts: MeshErrorOptions = {}, _unchecked?: typeof UNCHECKED) {
    super(message);
    this.code = code;
    this.peerId = opts.peerId;
    this.remote = opts.remote ?? false;
    this.retryable = opts.retryable ?? true;
  }

  /**
   * A MeshError whose code was chosen elsewhere and is passed on as it came: a remote peer's
   * `task-error`/`error` code, a server task's error code, the tabmesh node's local API code.
   */
  static withCode(code: string, message: string, opts: MeshErrorOptions = {}): MeshError {
    return new MeshError(code, message, opts, UNCHECKED);
  }
}

/** Wraps anything thrown into a MeshError, keeping MeshErrors as they are. */
export function toMeshError(err: unknown, code: MeshErrorCode = 'internal'): MeshError {
  if (err instanceof MeshError) return err;
  return new MeshError(code, err instanceof Error ? err.message : String(err));
}
