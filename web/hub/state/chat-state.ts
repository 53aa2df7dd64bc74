import { effect, signal } from '@preact/signals';
import type { OutboxEntry } from '../session/hub-db.ts';
import { links, livePeers, signalingStatus } from './mesh-state.ts';
import type { Outbox } from './outbox.ts';

export interface ChatMessage {
  id: string;
  who: 'me' | 'them';
  text: string;
  state: 'queued' | 'sending' | 'streaming' | 'done' | 'error';
  error?: string;
}

export interface ChatTarget {
  peerId: string;
  agent?: string | undefined;
}

/** Sends `text` to a peer's agent; `onChunk` gets each streamed piece; resolves with the full reply. */
export type ChatTransport = (target: ChatTarget, text: string, onChunk: (piece: string) => void) => Promise<string>;

/** Conversations keyed by `peer/agent`. */
export const conversations = signal<Record<string, ChatMessage[]>>({});
export const online = signal(typeof navigator === 'undefined' ? true : navigator.onLine);

export const chatKey = (t: ChatTarget) => `${t.peerId}/${t.agent ?? ''}`;

/**
 * Error codes after which the message surely did not arrive, so queueing it cannot duplicate.
 * `not-started` and the credential refusals: the mesh never sent it (a refused device keeps its
 * outbox until the person discards it).
 */
const UNDELIVERED = new Set(['signaling-lost', 'link-down', 'unreachable', 'unknown-peer', 'stopped', 'network', 'not-started', 'unauthorized', 'revoked', 'token-failed']);

let seq = 0;
const newId = () => `m${Date.now().toString(36)}${(seq++).toString(36)}`;

function update(key: string, id: string, patch: Partial<ChatMessage>): void {
  const list = conversations.value[key] ?? [];
  conversations.value = { ...conversations.value, [key]: list.map((m) => (m.id === id ? { ...m, ...patch } : m)) };
}

function append(key: string, msg: ChatMessage): void {
  conversations.value = { ...conversations.value, [key]: [...(conversations.value[key] ?? []), msg] };
}

/**
 * True when a message to `peerId` can leave now: the browser is online and either a link to the
 * peer is open or the signaling server is up and the peer is connected to it.
 */
export function reachable(peerId: string): boolean {
  if (!online.value) return false;
  if (links.value.get(peerId)?.state === 'open') return true;
  return signalingStatus.value === 'online' && livePeers.value.some((p) => p.peerId === peerId);
}

export interface ChatController {
  send(target: ChatTarget, text: string): Promise<void>;
  stop(): void;
}

/**
 * Chat with outbox: a message to an unreachable peer is stored and shown as queued, then sent
 * (in order, oldest first) as soon as the peer becomes reachable; replies stream into the log.
 */
export async function startChat(transport: ChatTransport, outbox: Outbox): Promise<ChatController> {
  const queuedIds = new Map<number, string>();
  for (const e of await outbox.list()) {
    const id = newId();
    queuedIds.set(e.id!, id);
    append(chatKey({ peerId: e.to, agent: e.agent }), { id, who: 'me', text: e.text, state: 'queued' });
  }

  const deliver = async (target: ChatTarget, text: string, mine: string): Promise<'sent' | 'undelivered'> => {
    const key = chatKey(target);
    update(key, mine, { state: 'sending' });
    const reply = newId();
    let streamed = '';
    let started = false;
    try {
      const full = await transport(target, text, (piece) => {
        if (!started) {
          started = true;
          append(key, { id: reply, who: 'them', text: '', state: 'streaming' });
        }
        streamed += piece;
        update(key, reply, { text: streamed });
      });
      update(key, mine, { state: 'done' });
      if (started) update(key, reply, { text: full || streamed, state: 'done' });
      else append(key, { id: reply, who: 'them', text: full, state: 'done' });
      return 'sent';
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (UNDELIVERED.has(code)) return 'undelivered';
      update(key, mine, { state: 'error', error: (err as Error).message });
      return 'sent';
    }
  };

  let draining = false;
  let again = false;
  const drain = async (): Promise<void> => {
    // One pass at a time; a request during a pass (a newly queued message) runs another after it.
    if (draining) return void (again = true);
    draining = true;
    again = false;
    try {
      for (const e of await outbox.list()) {
        if (!reachable(e.to)) continue;
        const target = { peerId: e.to, agent: e.agent };
        const mine = queuedIds.get(e.id!) ?? newId();
        if ((await deliver(target, e.text, mine)) === 'undelivered') {
          update(chatKey(target), mine, { state: 'queued' });
          break;
        }
        await outbox.remove(e.id!);
        queuedIds.delete(e.id!);
      }
    } finally {
      draining = false;
      if (again) void drain();
    }
  };

  const queue = async (target: ChatTarget, text: string, existing?: string) => {
    const entry: OutboxEntry = await outbox.add({ to: target.peerId, ...(target.agent ? { agent: target.agent } : {}), text });
    const id = existing ?? newId();
    queuedIds.set(entry.id!, id);
    if (existing) update(chatKey(target), id, { state: 'queued' });
    else append(chatKey(target), { id, who: 'me', text, state: 'queued' });
  };

  const onOnline = () => (online.value = true);
  const onOffline = () => (online.value = false);
  addEventListener('online', onOnline);
  addEventListener('offline', onOffline);
  // Re-evaluate whenever connectivity changes; drain() skips what is still unreachable.
  const dispose = effect(() => {
    void signalingStatus.value;
    void links.value;
    void livePeers.value;
    if (online.value) void drain();
  });

  return {
    async send(target, text) {
      if (!reachable(target.peerId) || (await outbox.list()).some((e) => e.to === target.peerId)) {
        // Also queue behind older queued messages to keep the conversation in order.
        await queue(target, text);
        void drain();
        return;
      }
      const mine = newId();
      append(chatKey(target), { id: mine, who: 'me', text, state: 'sending' });
      if ((await deliver(target, text, mine)) === 'undelivered') await queue(target, text, mine);
    },
    stop() {
      dispose();
      removeEventListener('online', onOnline);
      removeEventListener('offline', onOffline);
    },
  };
}
