import type { MeshMessage, MeshMessageType, MeshPayload, Tier } from '../../../protocol/index.ts';
import { randomId } from '../platform.ts';

/** What a successful send reports: the tier used, the route generation and the encoded size. */
export interface SendReceipt {
  tier: Tier;
  /** Changes whenever the route is replaced (new DataChannel, new signaling session). */
  generation: string;
  bytes: number;
  /** The agent whose own DataChannel carried it (agent channels); absent for the main channel and relay. */
  agentChannel?: string;
  /** Hops the message took on the `routed` tier. */
  hops?: number;
}

/** Sends one MeshMessage to a peer over its best route; rejects only when it cannot be delivered. */
export type MeshSend = (peerId: string, msg: MeshMessage) => Promise<SendReceipt>;

// Message ids need only be unique per sender (the responder de-duplicates by sender and id), so
// a random prefix per process and a counter do: no random draw per message. The prefix changes
// on restart, so a restarted peer's ids never match what a responder remembers from before.
const idPrefix = randomId(12);
let idCounter = 0;

/** A message id unique to this process: `<12 random chars>.<counter, base 36>`. */
export const nextMessageId = (): string => `${idPrefix}.${(++idCounter).toString(36)}`;

/** Builds a MeshMessage with a fresh id; `undefined` payload values become `null` (JSON has no undefined). */
export function makeMessage<T extends MeshMessageType>(
  from: string,
  to: string,
  type: T,
  payload: MeshPayload<T>,
  replyTo?: string,
): Extract<MeshMessage, { type: T }> {
  return { v: 1, id: nextMessageId(), type, from, to, payload, ...(replyTo === undefined ? {} : { replyTo }) } as Extract<MeshMessage, { type: T }>;
}
