import { describe, expect, it } from 'vitest';
import { generateIdentity, type AgentRecord } from '../../protocol/index.ts';
import { createRegistry } from '../../server/registry/registry.ts';
import { createMemoryStore } from '../../server/store/memory-store.ts';

const MESH = 'default';
const reg = (skill: string) => ({ name: 'agent', skills: [{ name: skill }], capabilities: [], platform: 'node' as const });

async function setup() {
  const clock = { now: 1_800_000_000_000 };
  const now = () => clock.now;
  const store = createMemoryStore(now);
  const registry = createRegistry({ store, now });
  const ids = (await Promise.all([1, 2, 3, 4].map(() => generateIdentity()))).map((g) => g.identity.peerId);
  return { clock, store, registry, ids };
}

describe('skill routing (registry.route, indexed by skill)', () => {
  it('picks the agent with the fewest tasks in flight, then the most recent heartbeat', async () => {
    const { clock, registry, ids } = await setup();
    for (const id of ids.slice(0, 3)) {
      await registry.register(MESH, id, reg('x'));
      clock.now += 10;
    }
    const agentOf = (id: string) => `${id}:agent`;
    expect((await registry.route(MESH, 'x', new Map()))?.peerId).toBe(ids[2]);
    const flights = new Map([[agentOf(ids[2]!), 2], [agentOf(ids[1]!), 1], [agentOf(ids[0]!), 1]]);
    expect((await registry.route(MESH, 'x', flights))?.peerId).toBe(ids[1]);
    // A heartbeat makes ids[0] the most recent among the least loaded, at once.
    clock.now += 10;
    await registry.heartbeat(MESH, ids[0]!);
    expect(await registry.route(MESH, 'x', flights)).toMatchObject({ peerId: ids[0], inFlight: 1, health: 'active' });
    expect(await registry.route(MESH, 'x', flights, (a) => a.peerId !== ids[0])).toMatchObject({ peerId: ids[1] });
    expect(await registry.route(MESH, 'y', new Map())).toBeUndefined();
  });

  it('sees this instance\'s registrations and removals at once, and skips agents whose heartbeat went stale', async () => {
    const { clock, registry, ids } = await setup();
    await registry.register(MESH, ids[0]!, reg('x'));
    expect((await registry.route(MESH, 'x', new Map()))?.peerId).toBe(ids[0]);
    await registry.register(MESH, ids[1]!, reg('z'));
    expect((await registry.route(MESH, 'z', new Map()))?.peerId).toBe(ids[1]);
    expect(await registry.remove(MESH, `${ids[1]}:agent`)).toBe(true);
    expect(await registry.route(MESH, 'z', new Map())).toBeUndefined();
    clock.now += 91_000;
    expect(await registry.route(MESH, 'x', new Map())).toBeUndefined();
    await registry.heartbeat(MESH, ids[0]!);
    expect((await registry.route(MESH, 'x', new Map()))?.peerId).toBe(ids[0]);
  });

  it('sees another instance\'s registration within a second', async () => {
    const { clock, store, registry, ids } = await setup();
    await registry.register(MESH, ids[0]!, reg('x'));
    expect(await registry.route(MESH, 'w', new Map())).toBeUndefined();
    // Written to the shared store by another instance, behind this registry's back.
    const record: AgentRecord = { ...reg('w'), id: `${ids[3]}:agent`, peerId: ids[3]!, mesh: MESH, registeredAt: clock.now };
    await store.put(`agents:${MESH}`, record.id, record);
    clock.now += 1000;
    expect((await registry.route(MESH, 'w', new Map()))?.peerId).toBe(ids[3]);
  });
});
