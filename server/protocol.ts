/**
 * The wire contract: every HTTP body, WebSocket frame and DataChannel message as a TypeScript
 * type plus its runtime validator. Server, browser and Node peer import from here only.
 */
export * from './protocol/common.ts';
export * from './protocol/validate.ts';
export * from './protocol/http.ts';
export * from './protocol/frames.ts';
export * from './protocol/hot-frames.ts';
export * from './protocol/mesh-messages.ts';
export * from './protocol/control-plane.ts';
export * from './protocol/base64.ts';
export * from './protocol/identity.ts';
export * from './protocol/link-proof.ts';
export * from './protocol/sealed-relay.ts';
export * from './protocol/mesh-envelope.ts';
