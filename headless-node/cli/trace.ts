import type { Mesh } from '../../web/mesh/index.ts';

const enabled = process.env.TABMESH_TRACE === '1';

/**
 * A phase line on stderr for one-shot commands when `TABMESH_TRACE=1`: where a `call` or `ping`
 * spends its time, or where it hangs (ms since the process started).
 */
export function trace(what: string): void {
  if (enabled) process.stderr.write(`[trace +${Math.round(performance.now())} ms] ${what}\n`);
}

/** Traces a mesh's signaling, link and identity events (no-op unless tracing). */
export function traceMesh(mesh: Mesh): void {
  if (!enabled) return;
  mesh.on('signaling', (s) => trace(`signaling ${s.state}${s.code ? ` (${s.code} ${s.reason ?? ''})` : ''}`));
  mesh.on('link', (l) => trace(`link ${l.peerId} ${l.state} tier=${l.tier} session=${l.sessionId ?? '-'} open=${l.openMs ?? '-'}ms`));
  mesh.on('identity', (e) => trace(`identity ${JSON.stringify(e)}`));
  mesh.on('error', (e) => trace(`error ${e.code}: ${e.message}`));
}
