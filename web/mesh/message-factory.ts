import type { MeshMessage, MeshMessageType, MeshPayload, Tier } from '../../server/protocol.ts';
import { MeshError } from './errors.ts';
import { encodeJson } from './framing.ts';
import { randomId } from './platform.ts';

/** What a successful send reports: the tier used, the route generation and the encoded size. */
export interface SendReceipt {
  tier: Tier;
  /** Changes whenever the route is replaced (new DataChannel, new signaling session). */
  generation: string;
  bytes: number;
  /** The agent whose own DataChannel carried it (agent channels); absent for the main channel and relay. */
  agentChannel?: string;
}

/** Sends one MeshMessage to a peer over its best route; rejects only when it cannot be delivered. */
export type MeshSend = (peerId: string, msg: MeshMessage) => Promise<SendReceipt>;

/** Builds a MeshMessage with a fresh id; `undefined` payload values become `null` (JSON has no undefined). */
export function makeMessage<T extends MeshMessageType>(
  from: string,
  to: string,
  type: T,
  payload: MeshPayload<T>,
  replyTo?: string,
): Extract<MeshMessage, { type: T }> {
  return { v: 1, id: randomId(), type, from, to, payload, ...(replyTo === undefined ? {} : { replyTo }) } as Extract<MeshMessage, { type: T }>;
}

/** A MeshMessage as UTF-8 JSON bytes; MeshError `bad-message` (not JSON) or `too-large` (over `maxBytes`). */
export function encodeMessage(msg: MeshMessage, maxBytes: number, peerId?: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encodeJson(msg);
  } catch (err) {
    throw new MeshError('bad-message', `message is not JSON-serializable: ${err instanceof Error ? err.message : String(err)}`, { ...(peerId ? { peerId } : {}) });
  }
  if (bytes.length > maxBytes) throw new MeshError('too-large', `message of ${bytes.length} bytes exceeds the ${maxBytes}-byte limit`, { ...(peerId ? { peerId } : {}) });
  return bytes;
}
