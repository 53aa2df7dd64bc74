import type { Frame, Hook } from './malicious-relay.ts';

const RELAYED = new Set(['offer', 'answer', 'candidate', 'bye', 'relay']);
type Summary = { peerId: string };

const mentions = (f: Frame, id: string) =>
  (f.type === 'peer-joined' && (f.peer as Summary | undefined)?.peerId === id) || (f.type === 'peer-left' && f.peerId === id);
const withoutPeer = (f: Frame, id: string): Frame => ({ ...f, peers: (f.peers as Summary[]).filter((p) => p.peerId !== id) });

/**
 * Peer-id swap: every frame another peer addresses to `victim` goes to `impostor` instead, and the
 * impostor's frames reach everyone labelled as the victim's; the impostor is hidden from the
 * others. With `claim`, the impostor is also told (in its welcome) that it *is* the victim, so it
 * answers and signs in the victim's name.
 */
export function impersonate(o: { victim: string; impostor: string; claim?: boolean }): Hook {
  const { victim, impostor } = o;
  return {
    up(from, f) {
      return from !== impostor && f.to === victim && RELAYED.has(f.type) ? { ...f, to: impostor } : undefined;
    },
    down(to, f) {
      if (to === impostor) {
        if (!o.claim) return undefined;
        if (f.type === 'welcome') return { ...withoutPeer(f, victim), peerId: victim };
        return mentions(f, victim) ? null : undefined;
      }
      if (f.from === impostor) return { ...f, from: victim };
      if (f.type === 'welcome') return withoutPeer(f, impostor);
      return mentions(f, impostor) ? null : undefined;
    },
  };
}

/**
 * A server that calls peer `id` by a chosen `name` instead of its key-derived id: everyone,
 * the peer itself included, sees `name`; frames addressed to `name` reach the peer. Only a
 * compromised (or pre-key-id) server can do this, since the real one issues tokens for key ids only.
 */
export function renamePeer(o: { id: string; name: string }): Hook {
  const swap = (f: Frame, a: string, b: string): Frame | undefined => {
    const text = JSON.stringify(f);
    return text.includes(`"${a}"`) ? (JSON.parse(text.split(`"${a}"`).join(`"${b}"`)) as Frame) : undefined;
  };
  return {
    up: (_from, f) => swap(f, o.name, o.id),
    down: (_to, f) => swap(f, o.id, o.name),
  };
}
