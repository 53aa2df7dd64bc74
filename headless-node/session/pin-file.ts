import { PublicIdentitySchema, validate, type PublicIdentity } from '../../protocol/index.ts';
import type { PinStore } from '../../web/mesh/index.ts';
import type { DataDir } from './data-dir.ts';

/** The keys of peers this node has talked to, in pins.json (0600, atomic writes). */
interface PinFile {
  version: 1;
  pins: Record<string, PublicIdentity & { pinnedAt: string }>;
}

export const PIN_FILE = 'pins.json';
const MAX_PINS = 4096;

/**
 * A PinStore kept in the data dir. Entries that do not parse are dropped (and said once through
 * `warn`) rather than failing the node; at most 4096 peers, the oldest pin goes first.
 */
export function createFilePinStore(dir: DataDir, warn: (line: string) => void = () => undefined): PinStore {
  const pins = new Map<string, PublicIdentity & { pinnedAt: string }>();
  const stored = dir.read<Partial<PinFile>>(PIN_FILE);
  let dropped = 0;
  for (const [peerId, entry] of Object.entries(stored?.pins ?? {})) {
    const ok = validate(PublicIdentitySchema, entry);
    if (ok.ok) pins.set(peerId, { ...ok.value, pinnedAt: String(entry.pinnedAt ?? '') });
    else dropped++;
  }
  if (dropped) warn(`${dir.path}/${PIN_FILE}: ignored ${dropped} malformed pin(s)`);
  return {
    get: async (peerId) => {
      const pin = pins.get(peerId);
      return pin && { alg: pin.alg, key: pin.key };
    },
    async set(peerId, identity) {
      pins.delete(peerId);
      pins.set(peerId, { alg: identity.alg, key: identity.key, pinnedAt: new Date().toISOString() });
      if (pins.size > MAX_PINS) pins.delete(pins.keys().next().value!);
      dir.write(PIN_FILE, { version: 1, pins: Object.fromEntries(pins) } satisfies PinFile);
    },
  };
}
