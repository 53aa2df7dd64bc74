/**
 * The limits and message types of routing over peers, apart from their schemas
 * (peer-routing.ts) so that code which only needs these loads no validator.
 */
/** Most hops a routed payload may take (source to destination); also the TTL a source sets. */
export const MAX_ROUTE_HOPS = 4;
/** Entries in one `routes` announcement (the nearest first). */
export const MAX_ROUTE_ENTRIES = 256;
/** Largest `body` a relaying peer forwards, UTF-8 JSON bytes (one sealed frame of ≤ 16 KiB, base64). */
export const MAX_HOP_BODY_BYTES = 32 * 1024;

/** A link-level routing message's `type` (what the mesh hands to the overlay, not the application). */
export const LINK_ROUTING_TYPES: ReadonlySet<string> = new Set(['routes', 'hop']);
