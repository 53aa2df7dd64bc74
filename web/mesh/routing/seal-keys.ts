import { toBase64Url } from '../../../protocol/base64.ts';

/** This mesh's ephemeral ECDH key, made on first use and shared by every RelaySeal. */
export interface SealKeys {
  get(): Promise<{ privateKey: CryptoKey; raw: string }>;
}

export const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** Creates the per-mesh ECDH key holder (non-extractable private key). */
export function createSealKeys(): SealKeys {
  let keys: Promise<{ privateKey: CryptoKey; raw: string }> | undefined;
  return {
    get: () =>
      (keys ??= crypto.subtle.generateKey(ECDH, false, ['deriveBits']).then(async (pair) => ({
        privateKey: pair.privateKey,
        raw: toBase64Url(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))),
      }))),
  };
}
