import { RTCPeerConnection } from 'node-datachannel/polyfill';
import WebSocket from 'ws';
import type { MeshPlatform } from '../web/mesh/index.ts';
import { encodeIceServersForLibdatachannel } from './libdatachannel-ice-servers.ts';
import { OffererCandidateHold } from './offerer-candidate-hold.ts';

/**
 * The Node platform for the mesh core: node-datachannel's W3C polyfill and the `ws` WebSocket.
 * No public STUN is added here: ICE servers come from the signaling server's welcome only.
 */
export interface NodePlatformOptions {
  /** Local address libjuice binds and gathers on; tests pass 127.0.0.1 to stay on loopback. */
  bindAddress?: string;
  /** UDP port range for ICE (default: any). */
  portRange?: { begin: number; end: number };
  /** `relay` forces every DataChannel through TURN (default `all`). */
  iceTransportPolicy?: RTCIceTransportPolicy;
}

/** Builds the platform object `createMesh` needs on Node. */
export function createNodePlatform(opts: NodePlatformOptions = {}): MeshPlatform {
  const extra = {
    ...(opts.bindAddress ? { bindAddress: opts.bindAddress } : {}),
    ...(opts.portRange ? { portRangeBegin: opts.portRange.begin, portRangeEnd: opts.portRange.end } : {}),
    ...(opts.iceTransportPolicy ? { iceTransportPolicy: opts.iceTransportPolicy } : {}),
  };
  class NodeRTCPeerConnection extends RTCPeerConnection {
    readonly #hold = new OffererCandidateHold({ emit: (e) => super.dispatchEvent(e), iceState: () => this.iceConnectionState });

    constructor(config: RTCConfiguration = {}) {
      // TURN REST usernames contain ':'; libdatachannel needs them percent-encoded.
      super({ ...config, ...extra, iceServers: encodeIceServersForLibdatachannel(config.iceServers ?? []) as RTCIceServer[] });
    }

    override dispatchEvent(e: Event): boolean {
      return (e.type === 'icecandidate' && this.#hold.take(e)) || super.dispatchEvent(e);
    }

    override async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      await super.setRemoteDescription(d);
      this.#hold.described(d.type);
    }

    override async addIceCandidate(c?: RTCIceCandidateInit): Promise<void> {
      this.#hold.remote(c?.candidate);
      return super.addIceCandidate(c);
    }

    override close(): void {
      this.#hold.close();
      super.close();
    }
  }
  return {
    RTCPeerConnection: NodeRTCPeerConnection as unknown as MeshPlatform['RTCPeerConnection'],
    // `ws` implements the event-handler surface the core uses (onopen/onmessage/onclose, send, close).
    WebSocket: WebSocket as unknown as MeshPlatform['WebSocket'],
    fetch: globalThis.fetch.bind(globalThis),
    now: Date.now,
    // The polyfill defines restartIce() but throws "Not implemented": use fresh connections instead.
    iceRestart: false,
    // libjuice can report ICE connected before our answer is applied; DTLS then fails ("certificate verify failed").
    // Past the answer, NodeRTCPeerConnection holds them while they gain nothing (offerer-candidate-hold.ts).
    holdCandidatesUntilAnswer: true,
  };
}
