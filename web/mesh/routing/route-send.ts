import type { MeshMessage } from '../../../protocol/index.ts';
import type { SendReceipt } from '../calls/message-factory.ts';
import { encodeForWire } from '../channel/wire-codec.ts';
import { MeshError } from '../errors.ts';
import type { P2pPolicy } from './p2p-policy.ts';
import type { RouteWaiters } from './route-waiters.ts';
import type { TransportPick } from './transports/index.ts';

export interface RouteSendContext {
  peerId: string;
  maxMessageBytes: number;
  policy: P2pPolicy;
  waiters: RouteWaiters;
  /** Why the route was closed, undefined while usable. */
  closed(): MeshError | undefined;
  /** The transport that can carry a message now, if any. */
  pick(): TransportPick | undefined;
  /** The route's connect() (the cap and presence checks live behind it). */
  connect(): void;
  /** A message is on its way (for the link cap's LRU eviction). */
  used(): void;
}

/**
 * Sends one message to the peer on whichever transport can carry it: while there is none it
 * waits for the route to change, and when the transport dies under the message (`link-down`,
 * `signaling-lost`) it waits for the next one and sends the message again.
 */
export async function sendOnRoute(msg: MeshMessage, c: RouteSendContext): Promise<SendReceipt> {
  const encoded = encodeForWire(msg, c.maxMessageBytes, c.peerId);
  const { bytes, length } = encoded instanceof Promise ? await encoded : encoded;
  c.used();
  for (;;) {
    const closed = c.closed();
    if (closed) throw closed;
    const r = c.pick();
    if (!r) {
      if (c.policy.mode === 'p2p') c.connect();
      // connect() may have settled the route synchronously (e.g. the cap said fallback).
      if (!c.pick()) await c.waiters.wait();
      continue;
    }
    if (!r.transport.usesLink && c.policy.capExpired()) c.connect();
    try {
      return await r.transport.send(msg, bytes, length, r);
    } catch (err) {
      // The route died under this message: wait for the next one and send it again.
      if (!(err instanceof MeshError) || (err.code !== 'link-down' && err.code !== 'signaling-lost')) throw err;
      if (c.pick()?.generation === r.generation) await c.waiters.wait();
    }
  }
}
