import type { TabmeshServer } from '../../server/create-server.ts';
import type { MeshPlatform } from '../../web/mesh/platform.ts';

/**
 * A `MeshPlatform` with no network, for running thousands of real mesh cores in one process:
 * WebSockets go to an in-process server's relay (`relay.accept`), and RTCPeerConnections are
 * stand-ins that "connect" once both sides applied each other's description and one candidate
 * crossed (through the real server, as the mesh signals it), then carry DataChannel messages in
 * memory. No ICE, no DTLS, no SCTP: no timing, loss or stalls. Everything above them (the link
 * negotiation, identity proofs over the channel, the link cap, overlay repair, presence) is the
 * mesh core's own code. Counts what crossed, for messages per join.
 */
export interface MemoryNet {
  platform: MeshPlatform;
  /** Frames the server sent to peers, by type; DataChannel messages sent, and by the type their JSON names (`?`: not JSON, or a frame after a message's first). */
  counts: { serverFrames: Map<string, number>; channelMessages: number; channelByType: Map<string, number>; channelBytes: number };
}

type Handler = ((ev: never) => void) | null;

/** Minimal event surface: `on<type>` properties plus add/removeEventListener. */
class Emitting {
  private readonly listeners = new Map<string, Set<(ev: unknown) => void>>();
  addEventListener(type: string, fn: (ev: unknown) => void): void {
    (this.listeners.get(type) ?? this.listeners.set(type, new Set()).get(type)!).add(fn);
  }
  removeEventListener(type: string, fn: (ev: unknown) => void): void {
    this.listeners.get(type)?.delete(fn);
  }
  protected fire(type: string, ev: Record<string, unknown> = {}): void {
    const on = (this as unknown as Record<string, Handler>)[`on${type}`];
    const event = { type, target: this, ...ev };
    if (typeof on === 'function') (on as (e: unknown) => void)(event);
    for (const fn of this.listeners.get(type) ?? []) fn(event);
  }
}

let nextId = 0;
const later = (fn: () => void) => void setImmediate(fn);

class MemoryChannel extends Emitting {
  readyState: RTCDataChannelState = 'connecting';
  binaryType = 'arraybuffer';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;
  onbufferedamountlow: Handler = null;
  peer: MemoryChannel | undefined;
  constructor(readonly label: string, private readonly count: (data: string | ArrayBufferView | ArrayBuffer) => void) {
    super();
  }
  open(): void {
    if (this.readyState !== 'connecting') return;
    this.readyState = 'open';
    this.fire('open');
  }
  send(data: string | ArrayBufferView | ArrayBuffer): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError: channel not open');
    this.count(data);
    // A copy, as a real channel delivers: the sender may reuse its buffer.
    const copy = typeof data === 'string' ? data : ArrayBuffer.isView(data)
      ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
      : data.slice(0);
    const to = this.peer;
    later(() => to?.readyState === 'open' && to.fire('message', { data: copy }));
  }
  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    later(() => this.fire('close'));
    const p = this.peer;
    if (p && p.readyState !== 'closed') p.close();
  }
}

export function createMemoryNet(server: TabmeshServer, fetchImpl: typeof fetch): MemoryNet {
  const counts = { serverFrames: new Map<string, number>(), channelMessages: 0, channelByType: new Map<string, number>(), channelBytes: 0 };
  const byUfrag = new Map<string, MemoryPeerConnection>();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const countMessage = (data: string | ArrayBufferView | ArrayBuffer) => {
    counts.channelMessages++;
    const bytes = typeof data === 'string' ? encoder.encode(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    counts.channelBytes += bytes.length;
    // A framed message (web/mesh/channel/framing.ts): 10 header bytes, then JSON naming its type early.
    const head = decoder.decode(bytes.subarray(typeof data === 'string' ? 0 : 10, 210));
    const type = /"type":"([a-z-]+)"/.exec(head)?.[1] ?? '?';
    counts.channelByType.set(type, (counts.channelByType.get(type) ?? 0) + 1);
  };

  class MemoryPeerConnection extends Emitting {
    readonly ufrag = `u${(nextId++).toString(36)}`;
    readonly fingerprint = Array.from({ length: 32 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
    localDescription: RTCSessionDescriptionInit & { toJSON(): RTCSessionDescriptionInit } | null = null;
    remoteDescription: RTCSessionDescriptionInit & { toJSON(): RTCSessionDescriptionInit } | null = null;
    signalingState: RTCSignalingState = 'stable';
    iceConnectionState: RTCIceConnectionState = 'new';
    connectionState: RTCPeerConnectionState = 'new';
    onicecandidate: Handler = null;
    oniceconnectionstatechange: Handler = null;
    onconnectionstatechange: Handler = null;
    ondatachannel: Handler = null;
    private candidateIn = false;
    private partner: MemoryPeerConnection | undefined;
    private readonly channels: MemoryChannel[] = [];
    private closed = false;

    constructor(_config?: RTCConfiguration) {
      super();
      byUfrag.set(this.ufrag, this);
    }
    private sdp(): string {
      return ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0',
        `a=ice-ufrag:${this.ufrag}`, 'a=ice-pwd:memorymemorymemorymemory', `a=fingerprint:sha-256 ${this.fingerprint}`, 'a=setup:actpass', 'a=mid:0', 'a=sctp-port:5000', ''].join('\r\n');
    }
    async createOffer() {
      return { type: 'offer' as const, sdp: this.sdp() };
    }
    async createAnswer() {
      return { type: 'answer' as const, sdp: this.sdp() };
    }
    async setLocalDescription(d?: RTCSessionDescriptionInit) {
      const desc = { type: d?.type ?? 'offer', sdp: d?.sdp ?? this.sdp() };
      this.localDescription = { ...desc, toJSON: () => desc };
      this.signalingState = desc.type === 'offer' ? 'have-local-offer' : 'stable';
      // One host candidate, then the end of gathering.
      later(() => {
        if (this.closed) return;
        const c = { candidate: `candidate:1 1 udp 2122260223 127.0.0.1 ${10000 + (nextId++ % 50000)} typ host`, sdpMid: '0', sdpMLineIndex: 0 };
        this.fire('icecandidate', { candidate: { ...c, toJSON: () => c } });
        this.fire('icecandidate', { candidate: null });
      });
    }
    async setRemoteDescription(d: RTCSessionDescriptionInit) {
      const desc = { type: d.type, sdp: d.sdp ?? '' };
      this.remoteDescription = { ...desc, toJSON: () => desc };
      this.signalingState = desc.type === 'offer' ? 'have-remote-offer' : 'stable';
      this.partner = byUfrag.get(/a=ice-ufrag:(\S+)/.exec(desc.sdp)?.[1] ?? '');
      this.tryConnect();
    }
    async addIceCandidate(c?: RTCIceCandidateInit | null) {
      if (c?.candidate) this.candidateIn = true;
      this.tryConnect();
    }
    private tryConnect(): void {
      const p = this.partner;
      if (!p || this.closed || p.closed || p.partner !== this || this.iceConnectionState === 'connected') return;
      if (!this.remoteDescription || !p.remoteDescription || !(this.candidateIn || p.candidateIn)) return;
      later(() => {
        if (this.closed || p.closed || this.iceConnectionState === 'connected') return;
        for (const pc of [this, p]) {
          pc.iceConnectionState = 'connected';
          pc.connectionState = 'connected';
          pc.fire('iceconnectionstatechange');
          pc.fire('connectionstatechange');
        }
        for (const ch of this.channels) this.pairChannel(ch, p);
        for (const ch of p.channels) p.pairChannel(ch, this);
      });
    }
    private pairChannel(ch: MemoryChannel, p: MemoryPeerConnection): void {
      if (ch.peer) return;
      const remote = new MemoryChannel(ch.label, countMessage);
      remote.peer = ch;
      ch.peer = remote;
      p.fire('datachannel', { channel: remote });
      ch.open();
      remote.open();
    }
    createDataChannel(label: string) {
      const ch = new MemoryChannel(label, countMessage);
      this.channels.push(ch);
      if (this.iceConnectionState === 'connected' && this.partner) later(() => this.pairChannel(ch, this.partner!));
      return ch as unknown as RTCDataChannel;
    }
    async getStats() {
      return new Map<string, Record<string, unknown>>([
        ['t', { type: 'transport', selectedCandidatePairId: 'p' }],
        ['p', { type: 'candidate-pair', localCandidateId: 'l', remoteCandidateId: 'r', selected: true }],
        ['l', { type: 'local-candidate', candidateType: 'host' }],
        ['r', { type: 'remote-candidate', candidateType: 'host' }],
      ]);
    }
    restartIce(): void {
      throw new Error('not implemented');
    }
    close(): void {
      if (this.closed) return;
      this.closed = true;
      byUfrag.delete(this.ufrag);
      this.iceConnectionState = 'closed';
      this.connectionState = 'closed';
      for (const ch of this.channels) ch.close();
      const p = this.partner;
      // The far end sees its channels close, then ICE give up, as when a real peer goes away.
      if (p && !p.closed && p.partner === this) {
        for (const ch of p.channels) ch.close();
        later(() => {
          if (p.closed) return;
          p.iceConnectionState = 'disconnected';
          p.fire('iceconnectionstatechange');
        });
      }
    }
  }

  class MemoryWebSocket extends Emitting {
    static readonly OPEN = 1;
    readyState = 0;
    bufferedAmount = 0;
    onopen: Handler = null;
    onmessage: Handler = null;
    onclose: Handler = null;
    onerror: Handler = null;
    private readonly conn;
    constructor(_url: string) {
      super();
      this.conn = server.relay.accept({
        send: (d: string) => {
          const type = /^\{"type":"([a-z-]+)"/.exec(d)?.[1] ?? '?';
          counts.serverFrames.set(type, (counts.serverFrames.get(type) ?? 0) + 1);
          later(() => this.readyState === 1 && this.fire('message', { data: d }));
        },
        close: (code: number, reason: string) => this.shut(code, reason),
        bufferedAmount: 0,
      }, { remoteAddress: '127.0.0.1' });
      later(() => ((this.readyState = 1), this.fire('open')));
    }
    send(text: string): void {
      this.conn.message(text, text.length);
    }
    close(): void {
      if (this.readyState > 1) return;
      this.conn.closed();
      this.shut(1000, '');
    }
    private shut(code: number, reason: string): void {
      if (this.readyState > 1) return;
      this.readyState = 3;
      later(() => this.fire('close', { code, reason, wasClean: true }));
    }
  }

  return {
    counts,
    platform: {
      RTCPeerConnection: MemoryPeerConnection as unknown as MeshPlatform['RTCPeerConnection'],
      WebSocket: MemoryWebSocket as unknown as MeshPlatform['WebSocket'],
      fetch: fetchImpl,
      now: Date.now,
      iceRestart: false,
      holdCandidatesUntilAnswer: true,
    },
  };
}
