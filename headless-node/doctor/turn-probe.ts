import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  Attr, decodeMessage, encodeRequest, errorCode, findAttr, longTermKey, StunClass, StunMethod, xorAddress,
  type StunAttribute, type StunMessage,
} from './stun-message.ts';

/** A STUN/TURN server address taken from an ICE URL. */
export interface IceEndpoint {
  scheme: 'stun' | 'stuns' | 'turn' | 'turns';
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
}

/** Parses `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]` (IPv6 in brackets). */
export function parseIceUrl(url: string): IceEndpoint | undefined {
  const m = /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[^:?\s]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/.exec(url.trim());
  if (!m) return undefined;
  const scheme = m[1] as IceEndpoint['scheme'];
  const tls = scheme === 'stuns' || scheme === 'turns';
  return {
    scheme,
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port: m[3] ? Number(m[3]) : tls ? 5349 : 3478,
    transport: tls ? 'tcp' : (m[4] as 'udp' | 'tcp' | undefined) ?? 'udp',
  };
}

export interface ProbeOptions {
  /** Overall budget per exchange in ms (default 3000); requests are resent every 250 ms. */
  timeoutMs?: number;
  /** Local address to send from (tests pin 127.0.0.1). */
  bindAddress?: string;
}

export type BindingResult =
  | { ok: true; mapped: { address: string; port: number }; rttMs: number }
  | { ok: false; problem: 'no-answer' };

export type AllocateResult =
  | { outcome: 'allocated'; relayed: { address: string; port: number }; rttMs: number }
  | { outcome: 'refused'; code: number; reason: string }
  | { outcome: 'no-answer' };

async function openSocket(host: string, bindAddress?: string): Promise<Socket> {
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port: 0, address: bindAddress }, () => (socket.off('error', reject), resolve()));
  });
  return socket;
}

/** Sends `request` until a response with its transaction id arrives or `timeoutMs` passes. */
function exchange(socket: Socket, to: IceEndpoint, request: Buffer, timeoutMs: number): Promise<StunMessage | undefined> {
  const txid = request.subarray(8, 20);
  return new Promise((resolve) => {
    const send = () => socket.send(request, to.port, to.host, () => undefined);
    const onMessage = (buf: Buffer) => {
      const msg = decodeMessage(buf);
      if (msg && msg.transactionId.equals(txid)) finish(msg);
    };
    const resend = setInterval(send, 250);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (msg: StunMessage | undefined) => {
      clearInterval(resend);
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(msg);
    };
    socket.on('message', onMessage);
    send();
  });
}

/** STUN Binding over UDP: proves the server answers and shows our address as it sees it. */
export async function stunBinding(server: IceEndpoint, opts: ProbeOptions = {}): Promise<BindingResult> {
  const socket = await openSocket(server.host, opts.bindAddress);
  try {
    const started = performance.now();
    const res = await exchange(socket, server, encodeRequest(StunMethod.binding, []), opts.timeoutMs ?? 3000);
    const mapped = res && res.cls === StunClass.success ? xorAddress(res, Attr.xorMappedAddress) : undefined;
    return mapped ? { ok: true, mapped, rttMs: performance.now() - started } : { ok: false, problem: 'no-answer' };
  } finally {
    socket.close();
  }
}

const UDP_TRANSPORT: StunAttribute = { type: Attr.requestedTransport, value: Buffer.from([17, 0, 0, 0]) };

/**
 * TURN Allocate over UDP with a long-term credential: the unauthenticated request fetches realm
 * and nonce, the signed one shows whether the server accepts `username`/`password`. A granted
 * allocation is released right away (Refresh, lifetime 0).
 */
export async function turnAllocate(server: IceEndpoint, username: string, password: string, opts: ProbeOptions = {}): Promise<AllocateResult> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const socket = await openSocket(server.host, opts.bindAddress);
  try {
    const started = performance.now();
    const challenge = await exchange(socket, server, encodeRequest(StunMethod.allocate, [UDP_TRANSPORT]), timeoutMs);
    if (!challenge) return { outcome: 'no-answer' };
    const realm = findAttr(challenge, Attr.realm);
    const nonce = findAttr(challenge, Attr.nonce);
    if (challenge.cls !== StunClass.error || errorCode(challenge)?.code !== 401 || !realm || !nonce) {
      const err = errorCode(challenge);
      return err ? { outcome: 'refused', ...err } : { outcome: 'refused', code: 0, reason: 'unexpected answer to an unauthenticated Allocate' };
    }
    const key = longTermKey(username, realm.toString('utf8'), password);
    const auth: StunAttribute[] = [
      { type: Attr.username, value: Buffer.from(username, 'utf8') },
      { type: Attr.realm, value: realm },
      { type: Attr.nonce, value: nonce },
    ];
    const res = await exchange(socket, server, encodeRequest(StunMethod.allocate, [UDP_TRANSPORT, ...auth], key), timeoutMs);
    if (!res) return { outcome: 'no-answer' };
    if (res.cls !== StunClass.success) {
      return { outcome: 'refused', ...(errorCode(res) ?? { code: 0, reason: 'error without ERROR-CODE' }) };
    }
    const rttMs = performance.now() - started;
    const relayed = xorAddress(res, Attr.xorRelayedAddress) ?? { address: '?', port: 0 };
    const release = encodeRequest(StunMethod.refresh, [{ type: Attr.lifetime, value: Buffer.alloc(4) }, ...auth], key);
    await exchange(socket, server, release, Math.min(timeoutMs, 1000));
    return { outcome: 'allocated', relayed, rttMs };
  } finally {
    socket.close();
  }
}
