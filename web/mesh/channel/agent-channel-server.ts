import type { AgentInfo, MeshMessage } from '../../../protocol/index.ts';
import { announcement } from './agent-channel-label.ts';
import type { AgentHost } from '../agent-host.ts';
import { createChannelWire, type ChannelWireOptions } from './channel-wire.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './framing.ts';
import { encodeCheckedMessage } from './message-codec.ts';
import type { MeshSend } from '../calls/message-factory.ts';
import { createMessageRouter } from '../routing/message-router.ts';
import { createPendingRequests } from '../calls/pending-requests.ts';
import type { Clock } from '../platform.ts';

/**
 * The host end of one agent channel: announces the agent, then serves what the remote sends on
 * the channel with the mesh core's own pieces (framing, MeshMessage validation, the responder
 * router with its dedupe, timeouts and cancel). Runs wherever the channel lives: in the agent's
 * Web Worker after a transfer, or in-process. The channel's connection was verified on its main
 * channel before this channel was opened, so nothing here checks identity again.
 */
export interface AgentChannelServerOptions {
  channel: RTCDataChannel;
  /** This peer's id (the `to` of every request, the `from` of every reply). */
  localId: string;
  /** The remote peer at the other end of the channel's connection. */
  peerId: string;
  /** The agent this channel serves; `host` runs its skills. */
  agent: AgentInfo;
  host: AgentHost;
  clock: Clock;
  /** Largest message accepted or sent, bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** Cap on one run here, ms (default 10 min). */
  maxTaskMs?: number;
  sender?: ChannelWireOptions['sender'];
  onClose?: () => void;
}

export interface AgentChannelServer {
  /** Skill runs (task-request and chat) started on this channel. */
  readonly runs: number;
  readonly open: boolean;
  /** Aborts what runs and closes the channel. */
  close(): void;
}

/** Starts serving `channel` (in any state); the announcement goes out once it is open. */
export function serveAgentChannel(o: AgentChannelServerOptions): AgentChannelServer {
  const maxMessageBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  let msgId = 0;
  let runs = 0;
  let stopped = false;

  const send: MeshSend = async (_peerId, msg) => {
    const { bytes, length } = encodeCheckedMessage(msg, maxMessageBytes);
    await wire.send(bytes);
    return { tier: 'direct', generation: `agent:${o.channel.label}`, bytes: length };
  };
  const counted: AgentHost = {
    agents: () => [o.agent],
    run(skill, input, ctx) {
      runs++;
      return o.host.run(skill, input, ctx);
    },
    close: () => o.host.close(),
  };
  const router = createMessageRouter({
    localId: () => o.localId,
    host: counted,
    send,
    // This end never asks anything; replies that reach it match nothing and are dropped.
    pending: createPendingRequests(send, o.clock),
    clock: o.clock,
    ...(o.maxTaskMs === undefined ? {} : { maxTaskMs: o.maxTaskMs }),
  });
  const wire = createChannelWire(o.channel, {
    clock: o.clock,
    nextMsgId: () => (msgId = (msgId + 1) >>> 0),
    reassembler: { maxMessageBytes },
    ...(o.sender ? { sender: o.sender } : {}),
    onOpen: () => void send(o.peerId, announcement(o.localId, o.peerId, o.agent) as MeshMessage).catch(() => undefined),
    onMessage: (value) => router.receive(o.peerId, value),
    onFrameError: (e) => router.replyError(o.peerId, undefined, e.code, e.message),
    onClose: () => {
      stop();
      o.onClose?.();
    },
  });

  function stop(): void {
    if (stopped) return;
    stopped = true;
    router.stop();
  }

  return {
    get runs() {
      return runs;
    },
    get open() {
      return wire.open;
    },
    close() {
      stop();
      wire.close();
    },
  };
}
