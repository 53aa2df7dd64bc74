import { createChannelSender, type ChannelSender, type SenderOptions } from './channel-sender.ts';
import { MeshError } from '../errors.ts';
import { createReassembler, type MessageBytes, type ReassemblerOptions } from './framing.ts';
import { createWireDecoder } from './wire-codec.ts';
import type { Clock } from '../platform.ts';

/**
 * The mesh framing on one DataChannel, for either end: binary frames in, reassembled into whole
 * messages; encoded messages out through a ChannelSender once the channel is open. Never throws
 * on what the remote sends. `createFramedChannel` hands over message bytes (the link channel
 * checks the link proof on them first); `createChannelWire` decodes them (agent channels).
 */
export interface FramedChannelOptions {
  clock: Clock;
  nextMsgId: () => number;
  reassembler?: ReassemblerOptions;
  sender?: SenderOptions;
  /** A complete inbound message, framing removed. */
  onBytes: (bytes: Uint8Array) => void;
  /** A frame or message that broke the framing rules (`bad-frame`, `too-large`, `bad-message`). */
  onFrameError: (e: { code: string; message: string }) => void;
  /** The channel opened (or proved open by a message); `send` works from here on. */
  onOpen?: () => void;
  /** The channel closed (either end, or its connection); called once, never after `detach`. */
  onClose?: () => void;
  /** The `link-down` error for sends on a closed channel (default names the channel's label). */
  linkDown?: () => MeshError;
}

export interface ChannelWireOptions extends Omit<FramedChannelOptions, 'onBytes'> {
  /** A complete inbound message, decoded (not yet validated). */
  onMessage: (value: unknown) => void;
}

export interface FramedChannel {
  readonly channel: RTCDataChannel;
  readonly open: boolean;
  readonly stats: { bytesSent: number; bytesReceived: number; maxBufferedAmount: number };
  /** Sends one encoded message (rejects with `link-down` unless the channel is open). */
  send(bytes: MessageBytes): Promise<void>;
  /** Closes the channel; `onClose` runs. */
  close(): void;
  /** Stops handling the channel without closing it: queued sends fail with `err`, no `onClose`. */
  detach(err: MeshError): void;
}

export type ChannelWire = FramedChannel;

/** Attaches to `channel` (in any state); takes over its event handlers. */
export function createFramedChannel(channel: RTCDataChannel, o: FramedChannelOptions): FramedChannel {
  const reassembler = createReassembler(o.reassembler);
  let sender: ChannelSender | undefined;
  let closed = false;
  let received = 0;
  const linkDown = o.linkDown ?? (() => new MeshError('link-down', `DataChannel "${channel.label}" is closed`));

  channel.binaryType = 'arraybuffer';
  function opened(): void {
    if (sender || closed) return;
    sender = createChannelSender(channel, o.clock, o.nextMsgId, o.sender);
    o.onOpen?.();
  }
  function stop(err: MeshError): boolean {
    if (closed) return false;
    closed = true;
    sender?.close(err);
    reassembler.clear();
    return true;
  }
  function ended(): void {
    if (stop(linkDown())) o.onClose?.();
  }
  channel.onopen = opened;
  channel.onclose = ended;
  channel.onmessage = (ev: MessageEvent) => {
    if (closed) return;
    // node-datachannel may deliver a message before `open`: a message proves the channel open.
    opened();
    if (!(ev.data instanceof ArrayBuffer)) return o.onFrameError({ code: 'bad-frame', message: 'only binary frames are part of the protocol' });
    received += ev.data.byteLength;
    const r = reassembler.push(new Uint8Array(ev.data));
    if (!r.ok) return o.onFrameError({ code: r.code, message: r.message });
    if (r.message) o.onBytes(r.message);
  };
  if (channel.readyState === 'open') queueMicrotask(opened);
  else if (channel.readyState === 'closed') queueMicrotask(ended);

  return {
    channel,
    get open() {
      return !!sender && !closed;
    },
    get stats() {
      return { bytesSent: sender?.stats.bytesSent ?? 0, bytesReceived: received, maxBufferedAmount: sender?.stats.maxBufferedAmount ?? 0 };
    },
    send(bytes) {
      if (!sender || closed) return Promise.reject(linkDown());
      return sender.send(bytes);
    },
    close() {
      try {
        channel.close();
      } catch {
        // Already gone with its connection.
      }
      ended();
    },
    detach(err) {
      if (stop(err)) channel.onopen = channel.onclose = channel.onmessage = null;
    },
  };
}

/** `createFramedChannel` whose messages arrive decoded from the mesh's message encoding. */
export function createChannelWire(channel: RTCDataChannel, o: ChannelWireOptions): ChannelWire {
  return createFramedChannel(channel, {
    ...o,
    onBytes: createWireDecoder((d) => (d.ok ? o.onMessage(d.value) : o.onFrameError(d))),
  });
}
