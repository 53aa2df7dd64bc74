import { createChannelSender, type ChannelSender, type SenderOptions } from './channel-sender.ts';
import { MeshError } from './errors.ts';
import { createReassembler, type MessageBytes, type ReassemblerOptions } from './framing.ts';
import { decodeMessage } from './message-codec.ts';
import type { Clock } from './platform.ts';

/**
 * The mesh framing on one extra DataChannel (an agent channel), for both of its ends: binary
 * frames in, reassembled and decoded to JSON values; encoded messages out through a
 * ChannelSender once the channel is open. Never throws on what the remote sends.
 */
export interface ChannelWireOptions {
  clock: Clock;
  nextMsgId: () => number;
  reassembler?: ReassemblerOptions;
  sender?: SenderOptions;
  /** A complete inbound message, decoded (not yet validated). */
  onMessage: (value: unknown) => void;
  /** A frame or message that broke the framing rules (`bad-frame`, `too-large`, `bad-message`). */
  onFrameError: (e: { code: string; message: string }) => void;
  onOpen?: () => void;
  /** The channel closed (either end, or its connection); called once. */
  onClose?: () => void;
}

export interface ChannelWire {
  readonly channel: RTCDataChannel;
  readonly open: boolean;
  /** Sends one encoded message (rejects with `link-down` unless the channel is open). */
  send(bytes: MessageBytes): Promise<void>;
  /** Closes the channel; `onClose` runs. */
  close(): void;
  readonly bytesReceived: number;
}

/** Attaches to `channel` (in any state); takes over its event handlers. */
export function createChannelWire(channel: RTCDataChannel, o: ChannelWireOptions): ChannelWire {
  const reassembler = createReassembler(o.reassembler);
  let sender: ChannelSender | undefined;
  let closed = false;
  let received = 0;
  const linkDown = () => new MeshError('link-down', `DataChannel "${channel.label}" is closed`);

  channel.binaryType = 'arraybuffer';
  function opened(): void {
    if (sender || closed) return;
    sender = createChannelSender(channel, o.clock, o.nextMsgId, o.sender);
    o.onOpen?.();
  }
  function ended(): void {
    if (closed) return;
    closed = true;
    sender?.close(linkDown());
    reassembler.clear();
    o.onClose?.();
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
    if (!r.message) return;
    const d = decodeMessage(r.message);
    if (d.ok) o.onMessage(d.value);
    else o.onFrameError(d);
  };
  if (channel.readyState === 'open') queueMicrotask(opened);
  else if (channel.readyState === 'closed') queueMicrotask(ended);

  return {
    channel,
    get open() {
      return !!sender && !closed;
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
    get bytesReceived() {
      return received;
    },
  };
}
