import { randomBytes } from 'node:crypto';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import WebSocket from 'ws';

/**
 * A peer speaking the PeerJS client's wire protocol to peerjs-server, with a node-datachannel
 * connection on 127.0.0.1 behind it: the envelopes `peer.connect()` sends for a data connection
 * (OFFER with the SDP and the connection's options, ANSWER, one CANDIDATE per gathered candidate,
 * HEARTBEAT every 5 s). PeerJS's own client needs a browser, so this is its protocol, not its code.
 *
 * One deviation, which changes no frame: each side holds its candidates until its SDP exchange
 * is done (offerer: answer applied; answerer: answer sent), as the tabmesh mesh core does on
 * node-datachannel, which otherwise may start DTLS before the fingerprint is known.
 */
export interface PeerjsPeer {
  id: string;
  /** Opens a data connection to `dst`; resolves with ms until the offerer's channel is open. */
  connect(dst: string, timeoutMs: number): Promise<number>;
  /** Frames this peer sent, by type. */
  sent: Record<string, number>;
  close(): void;
}

type Frame = { type: string; src?: string; dst?: string; payload?: Record<string, unknown> };

interface Conn {
  pc: RTCPeerConnection;
  held: Array<() => void> | undefined;
  queued: RTCIceCandidateInit[] | undefined;
}

export function startPeerjsPeer(baseUrl: string, id: string): Promise<PeerjsPeer> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/peerjs?key=peerjs&id=${encodeURIComponent(id)}&token=${randomBytes(8).toString('hex')}`, { perMessageDeflate: false });
  const conns = new Map<string, Conn>();
  const sent: Record<string, number> = {};
  const send = (f: Frame) => {
    sent[f.type] = (sent[f.type] ?? 0) + 1;
    ws.send(JSON.stringify(f));
  };
  const heartbeat = setInterval(() => send({ type: 'HEARTBEAT' }), 5000);

  function newConn(connectionId: string, dst: string): Conn {
    const pc = new RTCPeerConnection({ iceServers: [], bindAddress: '127.0.0.1' } as RTCConfiguration);
    const conn: Conn = { pc, held: [], queued: [] };
    pc.addEventListener('icecandidate', ((e: RTCPeerConnectionIceEvent) => {
      if (!e.candidate?.candidate) return;
      const c = e.candidate.toJSON();
      const go = () => send({ type: 'CANDIDATE', dst, payload: { candidate: c, type: 'data', connectionId } });
      if (conn.held) conn.held.push(go);
      else go();
    }) as EventListener);
    conns.set(connectionId, conn);
    return conn;
  }
  const releaseHeld = (c: Conn) => {
    const held = c.held ?? [];
    c.held = undefined;
    for (const go of held) go();
  };
  const remoteSet = (c: Conn) => {
    const queued = c.queued ?? [];
    c.queued = undefined;
    for (const init of queued) void c.pc.addIceCandidate(init).catch(() => undefined);
  };

  ws.on('message', (data: Buffer) => {
    const f = JSON.parse(data.toString()) as Frame;
    const p = f.payload ?? {};
    const connectionId = String(p.connectionId ?? '');
    if (f.type === 'OFFER' && f.src) {
      const c = newConn(connectionId, f.src);
      void (async () => {
        await c.pc.setRemoteDescription(p.sdp as RTCSessionDescriptionInit);
        remoteSet(c);
        await c.pc.setLocalDescription(await c.pc.createAnswer());
        send({ type: 'ANSWER', dst: f.src, payload: { sdp: c.pc.localDescription!.toJSON(), type: 'data', connectionId, browser: 'chrome' } });
        releaseHeld(c);
      })().catch(() => undefined);
    } else if (f.type === 'ANSWER') {
      const c = conns.get(connectionId);
      if (c) void c.pc.setRemoteDescription(p.sdp as RTCSessionDescriptionInit).then(() => (remoteSet(c), releaseHeld(c))).catch(() => undefined);
    } else if (f.type === 'CANDIDATE') {
      const c = conns.get(connectionId);
      const init = p.candidate as RTCIceCandidateInit;
      if (c?.queued) c.queued.push(init);
      else if (c) void c.pc.addIceCandidate(init).catch(() => undefined);
    }
  });

  const peer: PeerjsPeer = {
    id,
    sent,
    async connect(dst, timeoutMs) {
      const t0 = performance.now();
      const connectionId = `dc_${randomBytes(8).toString('hex')}`;
      const c = newConn(connectionId, dst);
      const dc = c.pc.createDataChannel(connectionId);
      const open = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${id} → ${dst}: no DataChannel within ${timeoutMs} ms (ICE ${c.pc.iceConnectionState}, connection ${c.pc.connectionState}, remote description ${c.queued ? 'not set' : 'set'})`)), timeoutMs);
        dc.addEventListener('open', () => (clearTimeout(timer), resolve(performance.now() - t0)));
      });
      // Awaited below; if making the offer throws first, its timeout must not go unhandled.
      open.catch(() => undefined);
      await c.pc.setLocalDescription(await c.pc.createOffer());
      send({
        type: 'OFFER', dst,
        payload: { sdp: c.pc.localDescription!.toJSON(), type: 'data', connectionId, label: connectionId, reliable: true, serialization: 'binary', browser: 'chrome' },
      });
      return open;
    },
    close() {
      clearInterval(heartbeat);
      for (const c of conns.values()) c.pc.close();
      conns.clear();
      ws.close();
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer) => {
      if (data.toString() === '{"type":"OPEN"}') resolve(peer);
      else (peer.close(), reject(new Error(`peerjs refused ${id}: ${data.toString().slice(0, 200)}`)));
    });
    ws.once('error', (err) => (clearInterval(heartbeat), reject(err)));
    // A later socket error must not crash the host process; the peer's links time out instead.
    ws.on('error', () => undefined);
  });
}
