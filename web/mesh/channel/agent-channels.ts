import type { MeshMessage } from '../../../protocol/index.ts';
import { agentChannelLabel, agentOfLabel, readAnnouncement } from './agent-channel-label.ts';
import { createChannelWire, type ChannelWire, type ChannelWireOptions } from './channel-wire.ts';
import type { SendReceipt } from '../calls/message-factory.ts';
import type { MessageBytes } from './framing.ts';
import type { PeerLink } from '../link/peer-link.ts';

/**
 * Agent channels on one peer link (docs/architecture.md "Agent channels"): extra DataChannels on
 * the link's RTCPeerConnection, one per agent, labelled `tabmesh/agent/<name>`, opened by the
 * peer that hosts the agent once the link's identity proof verified, and served by the agent
 * itself (a browser hands it to the agent's Worker). This module is both ends' bookkeeping:
 *
 * - hosting: when the link opens, one channel per agent the `adopter` names is created and handed
 *   to it in the same task (the only moment a browser can transfer it);
 * - calling: channels the remote opened are held until the link is verified, then used (after
 *   their announcement) for requests to the skills they serve; everything else keeps the main
 *   channel. A channel with an unknown label, on a refused link, or with a bad announcement is
 *   closed and reported, never used.
 */

/** The host side's hook: who takes a fresh agent channel (e.g. a Worker, by transfer). */
export interface AgentChannelAdopter {
  /** Local agents that want a channel of their own on every verified link (checked per link). */
  agents(): string[];
  /**
   * Takes `channel` for `agent`. Called in the task that created the channel, before any use, so a
   * browser can still transfer it. False (or a throw) when it cannot: the channel is closed and the
   * agent stays on the main channel.
   */
  adopt(channel: RTCDataChannel, ctx: { peerId: string; localId: string; agent: string }): boolean;
  /** The link to `peerId` went down or is being replaced: its agent channels are dead. */
  release(peerId: string): void;
}

/** Why a remote's channel was closed unused. */
export type ChannelRefusal = 'unknown-label' | 'duplicate' | 'too-many' | 'unverified' | 'bad-announcement' | 'too-early';

/** `onMessage`: a message from a ready agent channel (decoded JSON; the router validates it). */
export interface AgentChannelsOptions extends Pick<ChannelWireOptions, 'clock' | 'nextMsgId' | 'reassembler' | 'sender' | 'onMessage' | 'onFrameError'> {
  link: Pick<PeerLink, 'on' | 'state' | 'tier' | 'openChannel'>;
  peerId: string;
  localId: string;
  adopter?: AgentChannelAdopter;
  /** A remote channel was closed unused. */
  onRefused: (e: { label: string; reason: ChannelRefusal; message: string }) => void;
  /** The set of ready channels changed. */
  onChange: () => void;
}

export interface AgentChannels {
  /** Remote agents reachable over their own channel now, sorted. */
  readonly ready: string[];
  /** Bumped whenever `ready` changes. */
  readonly version: number;
  /** Sends `msg` over the agent channel that serves it; undefined when none does (use the main channel). */
  send(msg: MeshMessage, bytes: MessageBytes, length: number): Promise<SendReceipt> | undefined;
  /** Closes every agent channel of this link. */
  close(): void;
}

interface RemoteChannel {
  agent: string;
  wire: ChannelWire;
  epoch: number;
  /** Set once the announcement arrived. */
  skills: Set<string> | undefined;
  /** Messages that arrived before the link verified. */
  early: unknown[] | undefined;
}

const MAX_CHANNELS = 64;
const MAX_EARLY = 16;
/** Requests sent over an agent channel, remembered so their `cancel` takes the same way. */
const MAX_SENT = 4096;

/** Starts the bookkeeping for one link; it follows the link's events from here on. */
export function createAgentChannels(o: AgentChannelsOptions): AgentChannels {
  const channels = new Map<string, RemoteChannel>();
  const sentVia = new Map<string, RemoteChannel>();
  let version = 0;
  let epochs = 0;

  const label = (c: RemoteChannel) => agentChannelLabel(c.agent);
  const changed = () => (version++, o.onChange());

  function refuse(channel: RTCDataChannel, reason: ChannelRefusal, message: string): void {
    closeQuietly(channel);
    o.onRefused({ label: channel.label, reason, message });
  }

  function drop(c: RemoteChannel): void {
    if (channels.get(c.agent) !== c) return;
    channels.delete(c.agent);
    for (const [id, via] of sentVia) if (via === c) sentVia.delete(id);
    if (c.skills) changed();
  }

  function receive(c: RemoteChannel, value: unknown): void {
    if (c.early) {
      if (c.early.length >= MAX_EARLY) return refuseRemote(c, 'too-early', `more than ${MAX_EARLY} messages before the link was verified`);
      c.early.push(value);
      return;
    }
    if (c.skills) return o.onMessage(value);
    const a = readAnnouncement(value, { peerId: o.peerId, localId: o.localId, agent: c.agent });
    if (!a.ok) return refuseRemote(c, 'bad-announcement', a.message);
    c.skills = new Set(a.skills);
    changed();
  }

  function refuseRemote(c: RemoteChannel, reason: ChannelRefusal, message: string): void {
    drop(c);
    c.wire.close();
    o.onRefused({ label: label(c), reason, message });
  }

  function accept(c: RemoteChannel): void {
    const early = c.early ?? [];
    c.early = undefined;
    for (const value of early) if (channels.get(c.agent) === c) receive(c, value);
  }

  o.link.on('channel', (channel) => {
    const agent = agentOfLabel(channel.label);
    if (agent === undefined) return refuse(channel, 'unknown-label', `unknown DataChannel label "${channel.label.slice(0, 80)}"`);
    if (channels.has(agent)) return refuse(channel, 'duplicate', `a second channel for agent "${agent}"`);
    if (channels.size >= MAX_CHANNELS) return refuse(channel, 'too-many', `more than ${MAX_CHANNELS} agent channels`);
    const c: RemoteChannel = {
      agent,
      epoch: ++epochs,
      skills: undefined,
      // Until the link is verified nothing from it is used; the verdict accepts or closes these.
      early: o.link.state === 'open' ? undefined : [],
      wire: createChannelWire(channel, {
        clock: o.clock,
        nextMsgId: o.nextMsgId,
        ...(o.reassembler ? { reassembler: o.reassembler } : {}),
        ...(o.sender ? { sender: o.sender } : {}),
        onMessage: (value) => receive(c, value),
        onFrameError: (e) => (c.early ? undefined : o.onFrameError(e)),
        onClose: () => drop(c),
      }),
    };
    channels.set(agent, c);
  });

  o.link.on('state', ({ state }) => {
    if (state === 'open') {
      for (const c of [...channels.values()]) accept(c);
      return host();
    }
    // Down, refused, or replaced by a new connection: every channel of the old one is dead.
    closeAll();
  });

  /** Closes every channel; those still waiting for the link's verdict are reported as never used. */
  function closeAll(): void {
    o.adopter?.release(o.peerId);
    for (const c of [...channels.values()]) {
      if (c.early) refuseRemote(c, 'unverified', `the link closed before ${o.peerId} was verified`);
      else (drop(c), c.wire.close());
    }
  }

  /** Opens our agents' channels on the freshly verified link, each adopted in its creation task. */
  function host(): void {
    const adopter = o.adopter;
    if (!adopter) return;
    for (const agent of adopter.agents()) {
      let channel: RTCDataChannel | undefined;
      let taken = false;
      try {
        channel = o.link.openChannel(agentChannelLabel(agent));
        taken = !!channel && adopter.adopt(channel, { peerId: o.peerId, localId: o.localId, agent });
      } catch {
        // The connection closed under us, or the adopter failed: the agent keeps the main channel.
      }
      if (!channel) return;
      if (!taken) closeQuietly(channel);
    }
  }

  function pick(msg: MeshMessage): RemoteChannel | undefined {
    const ready = [...channels.values()].filter((c) => c.skills && c.wire.open);
    switch (msg.type) {
      case 'task-request':
        return ready.find((c) => c.skills!.has(msg.payload.skill));
      case 'chat': {
        const agent = msg.payload.agent;
        return ready.find((c) => c.skills!.has('chat') && (agent === undefined || c.agent === agent));
      }
      case 'cancel': {
        const via = msg.replyTo === undefined ? undefined : sentVia.get(msg.replyTo);
        return via && ready.includes(via) ? via : undefined;
      }
      default:
        return undefined;
    }
  }

  return {
    get ready() {
      return [...channels.values()].filter((c) => c.skills).map((c) => c.agent).sort();
    },
    get version() {
      return version;
    },
    send(msg, bytes, length) {
      const c = pick(msg);
      if (!c) return undefined;
      if (msg.type === 'task-request' || msg.type === 'chat') {
        sentVia.set(msg.id, c);
        if (sentVia.size > MAX_SENT) sentVia.delete(sentVia.keys().next().value!);
      }
      return c.wire.send(bytes).then(() => ({ tier: o.link.tier ?? 'unknown', generation: `agent:${c.agent}:${c.epoch}`, bytes: length, agentChannel: c.agent }));
    },
    close: closeAll,
  };
}

function closeQuietly(channel: RTCDataChannel): void {
  try {
    channel.close();
  } catch {
    // Already closed with its connection.
  }
}
