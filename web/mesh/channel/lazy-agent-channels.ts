import { lazyModule } from '../lazy-module.ts';
import type { PeerLinkState } from '../link/peer-link-types.ts';
import type { AgentChannels, AgentChannelsOptions } from './agent-channels.ts';

const load = lazyModule(() => import('./agent-channels.ts'));

/**
 * Agent channels (agent-channels.ts) whose code loads when the mesh meets its first peer, not with
 * the page: a page that joins and calls needs them only once a link is up, and its first load
 * stays small (docs/browser-library.md "Size"). Until the module is here the main channel carries
 * everything (`send` answers undefined, nothing is `ready`), and what the link did meanwhile is
 * kept for it: the remote's agent channels with the messages they brought, in order, and the
 * link's state now. If the module cannot load, the remote's channels are closed and every call
 * keeps the main channel, as on a link without agent channels.
 */
export function createLazyAgentChannels(o: AgentChannelsOptions): AgentChannels {
  let real: AgentChannels | undefined;
  let failed = false;
  let stateChanged = false;
  const held: Array<{ channel: RTCDataChannel; messages: MessageEvent[] }> = [];
  const offChannel = o.link.on('channel', (channel) => {
    if (failed) return closeQuietly(channel);
    const h = { channel, messages: [] as MessageEvent[] };
    channel.binaryType = 'arraybuffer';
    channel.onmessage = (ev: MessageEvent) => void h.messages.push(ev);
    held.push(h);
  });
  const offState = o.link.on('state', () => void (stateChanged = true));
  const closeHeld = () => held.splice(0).forEach((h) => closeQuietly(h.channel));

  load().then(
    (m) => {
      offChannel();
      offState();
      // The module follows the link from here; it first hears what it missed: the channels that
      // arrived, then (once) the state the link is in now, if it changed meanwhile.
      const channels = held.splice(0);
      real = m.createAgentChannels({
        ...o,
        link: {
          get state() {
            return o.link.state;
          },
          get tier() {
            return o.link.tier;
          },
          openChannel: (label) => o.link.openChannel(label),
          on(event, fn) {
            const off = o.link.on(event, fn);
            if (event === 'channel') for (const h of channels) (fn as (c: RTCDataChannel) => void)(h.channel);
            if (event === 'state' && stateChanged) (fn as (s: { state: PeerLinkState }) => void)({ state: o.link.state });
            return off;
          },
        },
      });
      // The module's wire took each channel's handlers: hand it what arrived before, in order.
      for (const h of channels) for (const ev of h.messages) h.channel.onmessage?.(ev);
    },
    () => {
      failed = true;
      offState();
      closeHeld();
    },
  );

  return {
    get ready() {
      return real?.ready ?? [];
    },
    get version() {
      return real?.version ?? 0;
    },
    send: (msg, bytes, length) => real?.send(msg, bytes, length),
    // Not for good: the route closes a connection this way and the link may connect again.
    close: () => (real ? real.close() : closeHeld()),
  };
}

function closeQuietly(channel: RTCDataChannel): void {
  try {
    channel.close();
  } catch {
    // Already gone with its connection.
  }
}
