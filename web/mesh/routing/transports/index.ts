import { createDataChannelTransport } from './datachannel-transport.ts';
import { createLazyRoutedTransport } from './lazy-routed-transport.ts';
import { createLazyServerRelayTransport } from './lazy-server-relay-transport.ts';
import type { TransportFactory } from './route-transport.ts';

export type { RouteTransport, TransportContext, TransportFactory, TransportPick } from './route-transport.ts';

/**
 * The transports a route can use, most preferred first: the first that can carry a message now
 * carries it: a DataChannel (tier 1 or 2), then other peers' DataChannels (`routed`), then the
 * server (fallback). A new tier is one file and one line here.
 */
export const routeTransports: readonly TransportFactory[] = [createDataChannelTransport, createLazyRoutedTransport, createLazyServerRelayTransport];
