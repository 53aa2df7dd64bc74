import type { LocalApiContext } from './mesh-ops.ts';
import type { WatchEvent } from './protocol.ts';

/**
 * The `watch` request: streams the node's view of the mesh changing (peers joining and leaving,
 * signaling lost and back, this node's agents changing) until the client cancels it or
 * disconnects. It never finishes by itself, so it ends by rejecting with the abort's reason.
 * Remote agents registering skills over HTTP are not seen by the node: a client that needs an
 * exact skill list re-reads `agents` after each event (as `tabmesh mcp` does).
 */
export function watchMesh(ctx: LocalApiContext, signal: AbortSignal, emit: (e: WatchEvent) => void): Promise<never> {
  return new Promise<never>((_, reject) => {
    const stops = [
      ctx.mesh.on('peer-joined', (p) => emit({ event: 'peer-joined', peerId: p.peerId, role: p.role })),
      ctx.mesh.on('peer-left', (p) => emit({ event: 'peer-left', peerId: p.peerId, reason: p.reason })),
      ctx.mesh.on('signaling', (s) => emit({ event: 'signaling', state: s.state, ...(s.resumed === undefined ? {} : { resumed: s.resumed }) })),
      ctx.host.onChange(() => emit({ event: 'agents-changed', agents: ctx.host.agents().map((a) => a.name) })),
    ];
    const end = () => {
      for (const stop of stops) stop();
      reject(signal.reason);
    };
    if (signal.aborted) return end();
    signal.addEventListener('abort', end, { once: true });
    emit({ event: 'watching', peerId: ctx.peerId });
  });
}
