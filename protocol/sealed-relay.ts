/**
 * The sealed relay: what two peers put in `relay` frames on the fallback tier, so the server that
 * carries them can neither read nor forge nor replay them (docs/protocol.md "Sealed relay").
 * Each end signs an ephemeral ECDH P-256 key with its identity key (`seal-hello`); both derive one
 * AES-256-GCM key (HKDF-SHA-256) and send every frame of every message as a `sealed` payload.
 */

/** Largest sealed frame: a 64 KiB server frame holds at most this much base64. */
export const MAX_SEALED_CHARS = 65_536;

/** What a `seal-hello` signs: both ids and the ECDH key, so it cannot be replayed to another peer. */
export const sealHelloText = (from: string, to: string, ecdh: string) => `tabmesh-seal-hello:${from}:${to}:${ecdh}`;

// The schemas have a file of their own, outside the protocol barrel: only the relay's sealing
// imports them, and it loads on first use in the browser library.
export type { SealedFrame, SealHello } from './sealed-relay-schemas.ts';
