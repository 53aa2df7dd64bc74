import { describe, expect, it } from 'vitest';
import type { AgentView } from '../../protocol/index.ts';
import { takeHashIntent } from '../../web/hub/session/hash-intent.ts';
import { deviceLabel } from '../../web/hub/session/origin-check.ts';
import { links, tierSummary } from '../../web/hub/state/mesh-state.ts';
import { chooseTarget } from '../../web/hub/state/task-state.ts';
import { peerRows } from '../../web/hub/views/peer-list.tsx';
import { layoutNodes } from '../../web/hub/views/topology-graph.tsx';

function fakeLocation(hash: string) {
  const calls: string[] = [];
  const loc = { hash, pathname: '/', search: '' } as Location;
  const hist = { replaceState: (_s: unknown, _t: string, url: string) => calls.push(url) } as unknown as History;
  return { loc, hist, calls };
}

const agent = (peerId: string, name: string, skills: string[], health: AgentView['health'] = 'active'): AgentView => ({
  id: `${peerId}:${name}`, peerId, name, mesh: 'default', platform: 'node', capabilities: [], registeredAt: 0, lastSeen: 0, inFlight: 0, health,
  skills: skills.map((s) => ({ name: s })),
});

describe('hub logic', () => {
  it('reads #invite and #admin fragments and scrubs them from the address bar', () => {
    const a = fakeLocation('#invite=abcdefghijkl');
    expect(takeHashIntent(a.loc, a.hist)).toEqual({ kind: 'invite', code: 'ABCDEFGHIJKL' });
    expect(a.calls).toEqual(['/']);
    const b = fakeLocation('#admin=s3cret-key');
    expect(takeHashIntent(b.loc, b.hist)).toEqual({ kind: 'admin', key: 's3cret-key' });
    // As admin.key stores it: the role prefix is not part of the key.
    const d = fakeLocation('#admin=admin:tma_s3cret');
    expect(takeHashIntent(d.loc, d.hist)).toEqual({ kind: 'admin', key: 'tma_s3cret' });
    expect(d.calls).toEqual(['/']);
    const c = fakeLocation('#something-else');
    expect(takeHashIntent(c.loc, c.hist)).toEqual({ kind: 'none' });
    expect(c.calls).toEqual([]);
  });

  it('names devices by browser and OS for the approval queue', () => {
    expect(deviceLabel('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36')).toBe('Chromium on Linux');
    expect(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1')).toBe('Safari on iOS');
    expect(deviceLabel('Mozilla/5.0 (Android 14; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0')).toBe('Firefox on Android');
  });

  it('lays peers out on a stable circle regardless of input order', () => {
    const one = layoutNodes(['b', 'a', 'c'], 640, 420, 150);
    const two = layoutNodes(['c', 'b', 'a'], 640, 420, 150);
    expect([...one]).toEqual([...two]);
    expect(one.get('a')!.y).toBeLessThan(one.get('b')!.y);
    expect(layoutNodes(['solo'], 640, 420, 150).get('solo')).toMatchObject({ x: 320, y: 210 });
  });

  it('lists this tab first and groups agents under their peer', () => {
    const rows = peerRows([agent('p2', 'x', ['echo']), agent('me', 'basic', ['time']), agent('p2', 'y', ['llm'])], [{ peerId: 'p3', role: 'agent' }], 'me');
    expect(rows.map((r) => [r.peerId, r.agents.length, r.connected])).toEqual([['me', 1, true], ['p2', 2, false], ['p3', 0, true]]);
  });

  it('prefers an active agent this tab has an open link to', () => {
    const all = [agent('far', 'a', ['echo']), agent('near', 'b', ['echo']), agent('sick', 'c', ['echo'], 'stale'), agent('me', 'd', ['echo'])];
    links.value = new Map([['near', { peerId: 'near', state: 'open', tier: 'direct' }]]);
    expect(chooseTarget('echo', undefined, all, 'me')?.peerId).toBe('near');
    links.value = new Map();
    expect(chooseTarget('echo', undefined, all, 'me')?.peerId).toBe('far');
    expect(chooseTarget('echo', 'sick:c', all, 'me')?.peerId).toBe('sick');
    expect(chooseTarget('nope', undefined, all, 'me')).toBeUndefined();
  });

  it('counts an open link whose tier the stats have not named as unknown, not direct', () => {
    links.value = new Map([
      ['a', { peerId: 'a', state: 'open', tier: 'unknown' }],
      ['b', { peerId: 'b', state: 'open', tier: 'relayed' }],
      ['c', { peerId: 'c', state: 'connecting', tier: 'unknown' }],
    ]);
    expect(tierSummary.value).toEqual({ direct: 0, relayed: 1, routed: 0, fallback: 0, unknown: 1 });
    links.value = new Map();
  });
});
