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
export * from './base64.ts';
export * from './identity.ts';
export * from './link-proof.ts';
export * from './sealed-relay.ts';
export * from './mesh-envelope.ts';
export * from './peer-routing.ts';
