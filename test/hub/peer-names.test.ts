import { describe, expect, it } from 'vitest';
import type { AgentView, TopologyNode } from '../../protocol/index.ts';
import { namePeers, shortId } from '../../web/hub/state/peer-names.ts';
import { linksInWords } from '../../web/hub/views/status-bar.tsx';

const ME = `k${'a'.repeat(32)}`;
const PI = `k${'b'.repeat(31)}1`;
const TAB = `k${'c'.repeat(31)}2`;
const TAB2 = `k${'c'.repeat(31)}3`;
const agent = (peerId: string, name: string, platform: 'browser' | 'node'): AgentView =>
  ({ id: `${peerId}:${name}`, peerId, name, platform, skills: [], capabilities: [], mesh: 'default', registeredAt: 0, lastSeen: 0, health: 'active', inFlight: 0 });
const node = (peerId: string, extra: Partial<TopologyNode>): TopologyNode => ({ peerId, role: 'agent', connected: true, agents: [], health: 'active', ...extra });

describe('peer names', () => {
  it('shortens ids in the middle, keeping both ends', () => {
    expect(shortId(PI)).toBe('kbbbbb…bbb1');
    expect(shortId('short')).toBe('short');
  });

  it('names this tab, paired devices, Node agents and API-key peers in words', () => {
    const names = namePeers([ME, PI, TAB], [
      node(ME, { credential: 'api-key', role: 'admin', platform: 'browser' }),
      node(PI, { credential: 'api-key', platform: 'node' }),
      node(TAB, { credential: 'device', name: 'Chrome on Android', platform: 'browser' }),
    ], [agent(PI, 'pi-kitchen', 'node'), agent(TAB, 'basic', 'browser')], ME);
    expect(names.get(ME)).toEqual({ id: ME, name: 'This tab', detail: 'Browser · API key · admin' });
    expect(names.get(PI)).toEqual({ id: PI, name: 'pi-kitchen', detail: 'Node · API key' });
    expect(names.get(TAB)).toEqual({ id: TAB, name: 'Chrome on Android', detail: 'Browser · paired device' });
  });

  it('tells equal names apart by their short ids', () => {
    const names = namePeers([TAB, TAB2], [], [agent(TAB, 'basic', 'browser'), agent(TAB2, 'basic', 'browser')], ME);
    expect(names.get(TAB)!.name).toBe(`Browser tab ${shortId(TAB)}`);
    expect(names.get(TAB2)!.name).toBe(`Browser tab ${shortId(TAB2)}`);
    expect(names.get(TAB)!.name).not.toBe(names.get(TAB2)!.name);
  });

  it('says the link counts in words', () => {
    expect(linksInWords({ direct: 0, relayed: 0, fallback: 0 })).toBe('no peer links yet');
    expect(linksInWords({ direct: 1, relayed: 0, fallback: 0 })).toBe('1 direct link');
    expect(linksInWords({ direct: 2, relayed: 1, fallback: 0 })).toBe('2 direct, 1 relayed links');
  });
});
