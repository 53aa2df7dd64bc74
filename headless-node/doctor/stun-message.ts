import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Just enough of STUN (RFC 8489) and TURN (RFC 8656) to ask a server "do you answer?" and "do you
 * accept this credential?": encode a request, decode a response. No retransmission logic here.
 */

export const MAGIC_COOKIE = 0x2112a442;

export const StunMethod = { binding: 0x0001, allocate: 0x0003, refresh: 0x0004 } as const;
export const StunClass = { request: 0x0000, success: 0x0100, error: 0x0110 } as const;

export const Attr = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  lifetime: 0x000d,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedTransport: 0x0019,
  xorMappedAddress: 0x0020,
} as const;

export interface StunAttribute {
  type: number;
  value: Buffer;
}

export interface StunMessage {
  method: number;
  cls: number;
  transactionId: Buffer;
  attributes: StunAttribute[];
}

/** Long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

/** Encodes a request; with `integrityKey` it appends MESSAGE-INTEGRITY over everything before it. */
export function encodeRequest(method: number, attributes: StunAttribute[], integrityKey?: Buffer, transactionId: Buffer = randomBytes(12)): Buffer {
  const body = Buffer.concat(attributes.map((a) => attribute(a.type, a.value)));
  const header = Buffer.alloc(20);
  header.writeUInt16BE(method | StunClass.request, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(header, 8);
  if (!integrityKey) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // The length field must already count the 24-byte MESSAGE-INTEGRITY attribute when hashing.
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', integrityKey).update(Buffer.concat([header, body])).digest();
  return Buffer.concat([header, body, attribute(Attr.messageIntegrity, mac)]);
}

/** Decodes a STUN message, or returns undefined when `buf` is not one (wrong cookie, truncated). */
export function decodeMessage(buf: Buffer): StunMessage | undefined {
  if (buf.length < 20 || buf.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  const type = buf.readUInt16BE(0);
  const length = buf.readUInt16BE(2);
  if (20 + length > buf.length) return undefined;
  const attributes: StunAttribute[] = [];
  for (let off = 20; off + 4 <= 20 + length;) {
    const attrType = buf.readUInt16BE(off);
    const attrLen = buf.readUInt16BE(off + 2);
    if (off + 4 + attrLen > 20 + length) return undefined;
    attributes.push({ type: attrType, value: buf.subarray(off + 4, off + 4 + attrLen) });
    off += 4 + Math.ceil(attrLen / 4) * 4;
  }
  return { method: type & 0x3eef, cls: type & 0x0110, transactionId: buf.subarray(8, 20), attributes };
}

export function findAttr(msg: StunMessage, type: number): Buffer | undefined {
  return msg.attributes.find((a) => a.type === type)?.value;
}

/** ERROR-CODE as `{ code, reason }` (e.g. 401 Unauthorized), if present. */
export function errorCode(msg: StunMessage): { code: number; reason: string } | undefined {
  const v = findAttr(msg, Attr.errorCode);
  if (!v || v.length < 4) return undefined;
  return { code: (v[2]! & 0x7) * 100 + v[3]!, reason: v.subarray(4).toString('utf8') };
}

/** An XOR-*-ADDRESS attribute (IPv4 or IPv6) as `{ address, port }`. */
export function xorAddress(msg: StunMessage, type: number): { address: string; port: number } | undefined {
  const v = findAttr(msg, type);
  if (!v || v.length < 8) return undefined;
  const port = v.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  if (v[1] === 0x01) {
    const ip = (v.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
    return { address: [24, 16, 8, 0].map((s) => (ip >>> s) & 0xff).join('.'), port };
  }
  if (v[1] === 0x02 && v.length >= 20) {
    const mask = Buffer.concat([Buffer.alloc(4), msg.transactionId]);
    mask.writeUInt32BE(MAGIC_COOKIE, 0);
    const bytes = Buffer.from(v.subarray(4, 20).map((b, i) => b ^ mask[i]!));
    const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
    return { address: groups.join(':'), port };
  }
  return undefined;
}
