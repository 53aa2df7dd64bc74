/**
 * The wire contract: every HTTP body, WebSocket frame and DataChannel message as a TypeScript
 * type plus its runtime validator. Server, browser and Node peer import from here only.
 */
export * from './common.ts';
export * from './validate.ts';
export * from './http.ts';
export * from './frames.ts';
export * from './hot-frames.ts';
export * from './mesh-messages.ts';
export * from './control-plane.ts';
export type { Task, TaskUpdate } from './task-record.ts';
export * from './base64.ts';
export * from './identity.ts';
export * from './token-nonce.ts';
export * from './link-proof.ts';
export * from './sealed-relay.ts';
export * from './mesh-envelope.ts';
// Only the limits and types: the schemas are imported from './peer-routing.ts' by the code that
// validates (web/mesh/routing/peer-overlay.ts, loaded on first use), so the browser library's
// first load does not carry them (docs/browser-library.md "Size").
export * from './peer-routing-limits.ts';
export type { Hop, LinkSignal, RouteAnnounce } from './peer-routing.ts';
