import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { encodeIceServersForLibdatachannel, type IceServerInit } from '../libdatachannel-ice-servers.ts';

export interface GatheredCandidate {
  type: string;
  address: string;
  port: number;
}

/**
 * Gathers ICE candidates with node-datachannel, exactly as a tabmesh peer would, until one of
 * `wanted` type shows up or `timeoutMs` passes. Resolves with what was gathered and how long it took.
 */
export async function gatherCandidates(
  server: IceServerInit,
  opts: { wanted: string; relayOnly?: boolean; bindAddress?: string; timeoutMs: number },
): Promise<{ found?: GatheredCandidate; all: GatheredCandidate[]; ms: number }> {
  const pc = new RTCPeerConnection({
    iceServers: encodeIceServersForLibdatachannel([server]) as RTCIceServer[],
    iceTransportPolicy: opts.relayOnly ? 'relay' : 'all',
    ...(opts.bindAddress ? { bindAddress: opts.bindAddress } : {}),
  } as RTCConfiguration);
  const all: GatheredCandidate[] = [];
  const started = performance.now();
  try {
    const found = await new Promise<GatheredCandidate | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), opts.timeoutMs);
      pc.addEventListener('icecandidate', ((e: RTCPeerConnectionIceEvent) => {
        // "candidate:1 1 UDP 2114977791 127.0.0.1 40631 typ host …"
        const f = e.candidate?.candidate.replace(/^a=/, '').split(' ');
        if (!f || f.length < 8) return;
        const cand = { type: f[7]!, address: f[4]!, port: Number(f[5]) };
        all.push(cand);
        if (cand.type === opts.wanted) (clearTimeout(timer), resolve(cand));
      }) as EventListener);
      // A data channel gives the offer an m-line, which starts gathering.
      pc.createDataChannel('doctor');
      void pc.createOffer().then((offer) => pc.setLocalDescription(offer));
    });
    return { ...(found ? { found } : {}), all, ms: performance.now() - started };
  } finally {
    pc.close();
  }
}
