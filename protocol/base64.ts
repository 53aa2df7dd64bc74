/** Base64 on btoa/atob (browsers, Node >= 16, Deno): relayed chunk frames, keys, signatures, secrets, TURN credentials. */

const SLICE = 8192;

/** Encodes bytes as standard base64. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += SLICE) {
    binary += String.fromCharCode(...bytes.subarray(i, i + SLICE));
  }
  return btoa(binary);
}

/** Decodes standard base64; undefined for anything that is not valid base64. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Encodes bytes as unpadded base64url (keys, signatures, secrets). */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Decodes base64url; throws on anything that is not (callers validate or catch). */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64(text.replace(/-/g, '+').replace(/_/g, '/'));
  if (!bytes) throw new Error('not base64url');
  return bytes;
}
