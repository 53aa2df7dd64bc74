import { describe, expect, it } from 'vitest';
import { byCodeUnit, byName } from '../../web/hub/state/text-order.ts';
import { peerRows } from '../../web/hub/views/peer-list.tsx';

describe('orderings without localeCompare', () => {
  it('orders hex peer ids as localeCompare did, this tab first', () => {
    const ids = ['f00d', '0a1b', 'a0b1', '9fff', 'beef', '0000'];
    expect([...ids].sort(byCodeUnit)).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
    const rows = peerRows([], ids.map((peerId) => ({ peerId, role: 'agent' })), 'beef');
    expect(rows.map((r) => r.peerId)).toEqual(['beef', '0000', '0a1b', '9fff', 'a0b1', 'f00d']);
  });

  it('orders names case-insensitively, ties by exact spelling', () => {
    expect(['pi-kitchen', 'Laptop', 'Pi-den', 'laptop', 'alpha'].sort(byName)).toEqual(['alpha', 'Laptop', 'laptop', 'Pi-den', 'pi-kitchen']);
    expect(byName('same', 'same')).toBe(0);
  });
});
