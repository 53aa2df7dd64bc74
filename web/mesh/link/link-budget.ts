/**
 * How many DataChannels a peer keeps, by what it runs on. A phone pays for every link in battery
 * and radio wake-ups, a desktop tab shares one renderer with the page, a Node peer has the most
 * room; calls to peers beyond the budget open a link on demand (evicting the least recently used
 * idle one) or go through the server's relay.
 */
export type PeerKind = 'phone' | 'desktop' | 'node';

export const DEFAULT_MAX_LINKS: Readonly<Record<PeerKind, number>> = { phone: 8, desktop: 32, node: 64 };

/** Links a peer tops itself up to after losing some, when it knows enough peers (the overlay's degree). */
export const OVERLAY_DEGREE = 8;

/** The peer kind of a browser, from what it says about itself (`userAgentData.mobile`, else the UA string). */
export function browserPeerKind(nav: { userAgent?: string; userAgentData?: { mobile?: boolean } } | undefined): PeerKind {
  if (nav?.userAgentData?.mobile !== undefined) return nav.userAgentData.mobile ? 'phone' : 'desktop';
  return /Mobi|Android|iPhone|iPad/i.test(nav?.userAgent ?? '') ? 'phone' : 'desktop';
}
