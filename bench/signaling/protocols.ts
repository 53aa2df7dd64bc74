import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import WebSocket from 'ws';
import { fetchTokenResponse } from '../../test/helpers/test-identity.ts';
import type { ServerTarget } from './load-types.ts';
import { SIGNAL_STEPS } from './payloads.ts';

/** A connected benchmark client; `onFrame` is swapped by whoever drives the load. */
export interface BenchClient {
  id: string;
  ws: WebSocket;
  /** The TCP socket under `ws`, for corking a burst of sends into one write. */
  socket: Duplex;
  onFrame(data: Buffer): void;
}

export type FrameClass = 'relayed' | 'ignored' | 'refused';

/** One server's client protocol, as the load process speaks it. */
export interface SignalingProtocol {
  /** Gets what client number `index` needs to join as `id` (a tabmesh JWT, a peerjs client token). */
  credential(id: string, index: number): Promise<string>;
  /** Opens a socket as `id` and resolves once the server has accepted it. */
  connect(id: string, credential: string): Promise<BenchClient>;
  /** The serialised frames a client cycles through when signaling to `to`. */
  framesTo(to: string): string[];
  /** Cheap look at a received frame: a relayed one, presence noise, or a refusal. */
  classify(data: Buffer): FrameClass;
  /** Full check of one delivered frame against what `from` sent to `to`. */
  verify(received: unknown, sent: string, from: string, to: string): boolean;
}

const TYPE_PREFIX = Buffer.from('{"type":"');
// The byte after `{"type":"` names the frame: enough to sort frames without parsing them.
const typeInitial = (data: Buffer) =>
  data.length > TYPE_PREFIX.length && data.subarray(0, TYPE_PREFIX.length).equals(TYPE_PREFIX) ? String.fromCharCode(data[TYPE_PREFIX.length]!) : '';

/** True when `received` carries the type and payload of `sent` plus the `stamps` the server adds. */
function isRelayOf(received: unknown, sent: string, stamps: Record<string, string>): boolean {
  const want = JSON.parse(sent) as { type: string; payload: unknown };
  const got = received as Record<string, unknown>;
  return got.type === want.type && isDeepStrictEqual(got.payload, want.payload) && Object.entries(stamps).every(([k, v]) => got[k] === v);
}

/** Opens `url`, hands the socket to `hello`, and resolves on the first frame if `accepted` says so. */
function open(url: string, id: string, accepted: (first: string) => boolean, hello?: (ws: WebSocket) => void): Promise<BenchClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const client: BenchClient = { id, ws, socket: undefined as unknown as Duplex, onFrame: () => {} };
    ws.once('upgrade', (res) => (client.socket = res.socket));
    let first = true;
    ws.on('message', (data: Buffer) => {
      if (!first) return client.onFrame(data);
      first = false;
      const text = data.toString();
      if (accepted(text)) resolve(client);
      else (ws.terminate(), reject(new Error(`${id} refused: ${text.slice(0, 200)}`)));
    });
    ws.once('open', () => hello?.(ws));
    ws.once('error', (err) => first && reject(err));
    ws.once('close', (code, reason) => first && reject(new Error(`${id} closed ${code} ${reason.toString()} before being accepted`)));
  });
}

/** tabmesh's frames as the load sends them (`{type, to, payload}`) and as a relay stamps them (`from`). */
const tabmeshFrames: Pick<SignalingProtocol, 'framesTo' | 'classify' | 'verify'> = {
  framesTo: (to) => SIGNAL_STEPS.map((s) => JSON.stringify(
    s.kind === 'sdp'
      ? { type: 'offer', to, payload: { sdp: s.sdp } }
      : { type: 'candidate', to, payload: { candidate: s.candidate, sdpMid: s.sdpMid, sdpMLineIndex: s.sdpMLineIndex } },
  )),
  classify(data) {
    const c = typeInitial(data);
    return c === 'o' || c === 'c' ? 'relayed' : c === 'p' ? 'ignored' : 'refused';
  },
  verify: (received, sent, from, to) => isRelayOf(received, sent, { from, to }),
};

function tabmeshProtocol(target: Extract<ServerTarget, { kind: 'tabmesh' }>): SignalingProtocol {
  const wsUrl = `${target.url.replace(/^http/, 'ws')}/ws`;
  return {
    ...tabmeshFrames,
    async credential(id, index) {
      const key = target.apiKeys[Math.floor(index / target.peersPerKey) % target.apiKeys.length]!;
      return (await fetchTokenResponse(target.tokenUrl, key, id)).token;
    },
    connect: (id, token) =>
      open(wsUrl, id, (first) => first.startsWith('{"type":"welcome"'), (ws) => ws.send(JSON.stringify({ type: 'hello', token }))),
  };
}

function bareProtocol(target: Extract<ServerTarget, { kind: 'bare' }>): SignalingProtocol {
  const base = `${target.url.replace(/^http/, 'ws')}/?id=`;
  return {
    ...tabmeshFrames,
    credential: async () => '',
    connect: (id) => open(base + encodeURIComponent(id), id, (first) => first === '{"type":"welcome"}'),
  };
}

function peerjsProtocol(target: Extract<ServerTarget, { kind: 'peerjs' }>): SignalingProtocol {
  const base = `${target.url.replace(/^http/, 'ws')}/peerjs?key=peerjs`;
  const connectionId = 'dc_k3x9q2m7v1p8z4w6';
  return {
    credential: async () => randomBytes(8).toString('hex'),
    connect: (id, token) => open(`${base}&id=${encodeURIComponent(id)}&token=${token}`, id, (first) => first === '{"type":"OPEN"}'),
    // The envelopes the PeerJS browser client sends for a data connection.
    framesTo: (dst) => SIGNAL_STEPS.map((s) => JSON.stringify(
      s.kind === 'sdp'
        ? { type: 'OFFER', dst, payload: { sdp: { type: 'offer', sdp: s.sdp }, type: 'data', connectionId, label: connectionId, reliable: true, serialization: 'binary', browser: 'chrome' } }
        : { type: 'CANDIDATE', dst, payload: { candidate: { candidate: s.candidate, sdpMid: s.sdpMid, sdpMLineIndex: s.sdpMLineIndex, usernameFragment: 'Zx9K' }, type: 'data', connectionId } },
    )),
    classify(data) {
      const c = typeInitial(data);
      return c === 'O' || c === 'C' ? 'relayed' : 'refused';
    },
    verify: (received, sent, from, to) => isRelayOf(received, sent, { src: from, dst: to }),
  };
}

/** The client protocol for `target`. */
export function protocolFor(target: ServerTarget): SignalingProtocol {
  if (target.kind === 'tabmesh') return tabmeshProtocol(target);
  return target.kind === 'peerjs' ? peerjsProtocol(target) : bareProtocol(target);
}
