import { deviceCid } from '../pairing/pairing-service.ts';
import type { DeviceView, TopologyNode } from '../../protocol/index.ts';

export type PeerLabel = Pick<TopologyNode, 'credential' | 'name'>;

/**
 * Names peers for people: a peer that joined with a device token carries the name it was paired
 * under; one that joined with an API key says so. Credential ids themselves never leave the server.
 */
export function createPeerLabels(deps: {
  credentialOf(mesh: string, peerId: string): string | undefined;
  listDevices(mesh: string): Promise<DeviceView[]>;
}): (mesh: string, peerIds: string[]) => Promise<Map<string, PeerLabel>> {
  return async (mesh, peerIds) => {
    const cids = peerIds.map((id) => [id, deps.credentialOf(mesh, id)] as const);
    const devices = cids.some(([, cid]) => cid?.startsWith(deviceCid(''))) ? await deps.listDevices(mesh) : [];
    const names = new Map(devices.map((d) => [deviceCid(d.id), d.name]));
    const labels = new Map<string, PeerLabel>();
    for (const [id, cid] of cids) {
      if (cid?.startsWith('key-')) labels.set(id, { credential: 'api-key' });
      else if (cid?.startsWith(deviceCid(''))) labels.set(id, { credential: 'device', ...(names.has(cid) ? { name: names.get(cid)! } : {}) });
    }
    return labels;
  };
}
