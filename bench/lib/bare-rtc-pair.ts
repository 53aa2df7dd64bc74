import { RTCPeerConnection } from 'node-datachannel/polyfill';

/**
 * Two bare node-datachannel peers (W3C polyfill) in one process, signaled in memory: the
 * baseline the mesh is compared with, and the probe for the relayed tier.
 */

export interface BarePairOptions {
  iceServers?: RTCIceServer[];
  /** The answerer's own servers (its own TURN credentials); defaults to `iceServers`. */
  iceServersB?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Local address to gather on; tests and benchmarks pin 127.0.0.1. */
  bindAddress?: string;
  /** Budget for the channel to open, in ms (default 10 000). */
  timeoutMs?: number;
}

export interface BarePair {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  /** The offerer's channel and the answerer's end of it, both open. */
  channelA: RTCDataChannel;
  channelB: RTCDataChannel;
  /** From createDataChannel to both ends open, in ms. */
  openMs: number;
  close(): void;
}

export interface SelectedPair {
  local: { type: string; address: string; port: number };
  remote: { type: string; address: string; port: number };
}

/** Candidate types of the nominated pair, from `getStats()` (the W3C view every peer has). */
export async function selectedPair(pc: RTCPeerConnection): Promise<SelectedPair | undefined> {
  const stats = [...((await pc.getStats()) as Map<string, Record<string, unknown>>).values()];
  const transport = stats.find((s) => s.type === 'transport');
  const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
  const cand = (id: unknown) => {
    const c = stats.find((s) => s.id === id);
    return c && { type: String(c.candidateType), address: String(c.ip ?? c.address), port: Number(c.port) };
  };
  const local = cand(pair?.localCandidateId);
  const remote = cand(pair?.remoteCandidateId);
  return local && remote ? { local, remote } : undefined;
}

export interface PendingBarePair {
  a: RTCPeerConnection;
  b: RTCPeerConnection;
  /** Every local candidate line each side produced, in order (for "was a relay gathered?"). */
  candidates: { a: string[]; b: string[] };
  /** Resolves once the channel is open on both ends; rejects after `timeoutMs`. */
  opened: Promise<BarePair>;
  close(): void;
}

/**
 * Starts connecting a fresh pair. Candidates are held until the answer is applied on the offerer:
 * node-datachannel otherwise may start DTLS before the fingerprint is known ("certificate verify
 * failed").
 */
export function startBarePair(opts: BarePairOptions = {}): PendingBarePair {
  const configOf = (iceServers: RTCIceServer[] | undefined) => ({
    iceServers: structuredClone(iceServers ?? []),
    iceTransportPolicy: opts.iceTransportPolicy ?? 'all',
    ...(opts.bindAddress ? { bindAddress: opts.bindAddress } : {}),
  }) as RTCConfiguration;
  const a = new RTCPeerConnection(configOf(opts.iceServers));
  const b = new RTCPeerConnection(configOf(opts.iceServersB ?? opts.iceServers));
  const candidates = { a: [] as string[], b: [] as string[] };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const close = () => (clearTimeout(timer), a.close(), b.close());
  const held: Array<() => void> = [];
  let answered = false;
  const relay = (to: RTCPeerConnection, seen: string[]) => (e: RTCPeerConnectionIceEvent) => {
    if (!e.candidate) return;
    seen.push(e.candidate.candidate);
    const init = e.candidate.toJSON();
    const deliver = () => void to.addIceCandidate(init).catch(() => undefined);
    if (answered) deliver();
    else held.push(deliver);
  };
  a.addEventListener('icecandidate', relay(b, candidates.a) as EventListener);
  b.addEventListener('icecandidate', relay(a, candidates.b) as EventListener);

  const started = performance.now();
  const channelA = a.createDataChannel('bare');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const channelB = new Promise<RTCDataChannel>((resolve, reject) => {
    let remote: RTCDataChannel | undefined;
    let localOpen = false;
    const done = () => remote?.readyState === 'open' && localOpen && (clearTimeout(timer), resolve(remote));
    timer = setTimeout(() => reject(new Error(`DataChannel did not open within ${timeoutMs} ms (ICE ${a.iceConnectionState})`)), timeoutMs);
    channelA.addEventListener('open', () => ((localOpen = true), done()));
    b.addEventListener('datachannel', ((e: RTCDataChannelEvent) => {
      remote = e.channel;
      if (remote.readyState === 'open') done();
      else remote.addEventListener('open', () => done());
    }) as EventListener);
  });
  const opened = (async () => {
    try {
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription!);
      answered = true;
      for (const deliver of held.splice(0)) deliver();
      return { a, b, channelA, channelB: await channelB, openMs: performance.now() - started, close };
    } catch (err) {
      close();
      throw err;
    }
  })();
  return { a, b, candidates, opened, close };
}

/** Connects a fresh pair and resolves once the channel is open on both sides. */
export function connectBarePair(opts: BarePairOptions = {}): Promise<BarePair> {
  return startBarePair(opts).opened;
}

/** Sends `payload` from `from` and resolves with the ms until `to` echoes it back. */
export function echoRoundTrip(from: RTCDataChannel, to: RTCDataChannel, payload: string, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const echo = (e: MessageEvent) => to.send(e.data as string);
    const timer = setTimeout(() => (cleanup(), reject(new Error(`no echo within ${timeoutMs} ms`))), timeoutMs);
    const back = (e: MessageEvent) => {
      if (e.data !== payload) return;
      cleanup();
      resolve(performance.now() - started);
    };
    const cleanup = () => (clearTimeout(timer), to.removeEventListener('message', echo), from.removeEventListener('message', back));
    to.addEventListener('message', echo);
    from.addEventListener('message', back);
    const started = performance.now();
    from.send(payload);
  });
}
