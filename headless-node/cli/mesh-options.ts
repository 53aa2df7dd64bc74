import { isIP } from 'node:net';
import type { MeshPlatform } from '../../web/mesh/index.ts';
import { UsageError } from './command-line.ts';

/** Flags that shape how this process joins the mesh (node, call, ping). */
export const MESH_OPTIONS = {
  'no-p2p': { type: 'boolean' },
  'bind-address': { type: 'string' },
  'relay-only': { type: 'boolean' },
} as const;

export const MESH_HELP = `  --no-p2p           open no DataChannels: every message goes through the server (fallback tier)
  --bind-address IP  local address for WebRTC (ICE) sockets, e.g. 127.0.0.1 (env TABMESH_BIND_ADDRESS)
  --relay-only       use only TURN relay candidates (tests the relayed tier)`;

/**
 * The Node platform for the mesh from --bind-address / --relay-only (or TABMESH_BIND_ADDRESS).
 * Loaded on demand: node-datachannel's native module is most of a CLI start, and a call through a
 * running node (--data-dir) never needs it.
 */
export async function meshPlatformFrom(values: { 'bind-address'?: string; 'relay-only'?: boolean }, env: Readonly<Record<string, string | undefined>>): Promise<MeshPlatform> {
  const bindAddress = values['bind-address'] ?? env.TABMESH_BIND_ADDRESS;
  if (bindAddress !== undefined && !isIP(bindAddress)) throw new UsageError(`--bind-address must be an IP address (got "${bindAddress}")`);
  const { createNodePlatform } = await import('../node-platform.ts');
  return createNodePlatform({
    ...(bindAddress ? { bindAddress } : {}),
    ...(values['relay-only'] ? { iceTransportPolicy: 'relay' as const } : {}),
  });
}
