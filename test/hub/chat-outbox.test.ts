import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboxEntry } from '../../web/hub/session/hub-db.ts';
import { chatKey, conversations, online, startChat, type ChatController } from '../../web/hub/state/chat-state.ts';
import { links, livePeers, signalingStatus } from '../../web/hub/state/mesh-state.ts';
import type { Outbox } from '../../web/hub/state/outbox.ts';
import { MeshError, type MeshErrorCode } from '../../web/mesh/errors.ts';

// Pure logic of the hub's chat outbox (IndexedDB replaced by an array): which failed sends are
// kept for later. The browser suite covers the real thing (hub-resilience, hub-refused).
function memoryOutbox(): Outbox & { entries: OutboxEntry[] } {
  const entries: OutboxEntry[] = [];
  let next = 1;
  return {
    entries,
    async add(e) {
      const full = { ...e, id: next++, createdAt: Date.now() };
      entries.push(full);
      return full;
    },
    list: async () => [...entries],
    async remove(id) {
      entries.splice(entries.findIndex((e) => e.id === id), 1);
    },
  };
}

const target = { peerId: 'k0123456789abcdef0123456789abcdef', agent: 'basic' };
let chat: ChatController | undefined;

afterEach(() => {
  chat?.stop();
  vi.unstubAllGlobals();
  conversations.value = {};
  livePeers.value = [];
  links.value = new Map();
  signalingStatus.value = 'connecting';
});

/** Sends one message to a reachable peer whose transport fails with `code`. */
async function sendFailing(code: MeshErrorCode) {
  const events = new EventTarget();
  vi.stubGlobal('addEventListener', events.addEventListener.bind(events));
  vi.stubGlobal('removeEventListener', events.removeEventListener.bind(events));
  online.value = true;
  signalingStatus.value = 'online';
  livePeers.value = [{ peerId: target.peerId, role: 'agent' }];
  const outbox = memoryOutbox();
  chat = await startChat(() => Promise.reject(new MeshError(code, `failed: ${code}`)), outbox);
  await chat.send(target, 'hello');
  return { outbox, shown: conversations.value[chatKey(target)] ?? [] };
}

describe('hub chat outbox', () => {
  it.each<MeshErrorCode>(['not-started', 'unauthorized', 'revoked', 'token-failed', 'stopped'])('keeps a message whose send failed with %s (it never left)', async (code) => {
    const { outbox, shown } = await sendFailing(code);
    expect(outbox.entries).toMatchObject([{ to: target.peerId, agent: 'basic', text: 'hello' }]);
    expect(shown).toMatchObject([{ who: 'me', text: 'hello', state: 'queued' }]);
  });

  it('does not queue a message that may have arrived (the peer left mid-call), so nothing is sent twice', async () => {
    const { outbox, shown } = await sendFailing('peer-left');
    expect(outbox.entries).toEqual([]);
    expect(shown).toMatchObject([{ who: 'me', text: 'hello', state: 'error', error: 'failed: peer-left' }]);
  });
});
