import type { Mesh } from '../mesh/mesh-types.ts';
import type { CallOptions } from './peer-handle.ts';

const PROGRESS_MS = 100;

/** Reports the link's byte counters (relative to the call's start) while they change. */
export function watchProgress(mesh: Mesh, peerId: string, onProgress: NonNullable<CallOptions['onProgress']>): () => void {
  const counters = () => mesh.links().find((l) => l.peerId === peerId);
  const start = counters();
  const base = { sent: start?.bytesSent ?? 0, received: start?.bytesReceived ?? 0 };
  let last = '';
  const report = () => {
    const now = counters();
    const p = { sentBytes: (now?.bytesSent ?? 0) - base.sent, receivedBytes: (now?.bytesReceived ?? 0) - base.received };
    const key = `${p.sentBytes}/${p.receivedBytes}`;
    if (key !== last) (last = key, onProgress(p));
  };
  const timer = setInterval(report, PROGRESS_MS);
  return () => (clearInterval(timer), report());
}
