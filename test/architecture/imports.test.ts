import { describe, expect, it } from 'vitest';
import { ALLOWED_FOR_NOW, cyclesUnder, importRules, importsOf, repoImports, violations } from './import-rules.ts';

describe('import directions between the parts', () => {
  it('no source file imports against the allowed directions', () => {
    const edges = repoImports(['protocol', 'server', 'web', 'headless-node']);
    // A scanner that finds nothing would pass vacuously.
    expect(edges.filter((e) => e.to === 'protocol/index.ts').length).toBeGreaterThan(20);
    expect(violations(edges)).toEqual([]);
  });

  it('every known exception is still needed (remove one from ALLOWED_FOR_NOW once nothing uses it)', () => {
    const targets = new Set(repoImports(['headless-node']).map((e) => e.to));
    expect([...ALLOWED_FOR_NOW].filter((t) => !targets.has(t))).toEqual([]);
  });

  it('each rule catches a bad import, static or dynamic', () => {
    const bad = [
      ...importsOf('web/mesh/x.ts', "import { createTokenBucket } from '../../server/signaling/token-bucket.ts';"),
      ...importsOf('web/hub/y.tsx', "const m = await import('../../server/app.ts');"),
      ...importsOf('headless-node/session/z.ts', "export { HubApp } from '../../web/hub/app.tsx';"),
      ...importsOf('server/http/w.ts', "import '../../web/mesh/index.ts';"),
      ...importsOf('server/q.ts', "import type { Mesh } from '../headless-node/node-peer.ts';"),
      ...importsOf('protocol/backoff.ts', "import type { Logger } from '../server/ops/logger.ts';"),
      ...importsOf('protocol/x.ts', "import { MeshError } from '../web/mesh/errors.ts';"),
      ...importsOf('web/lib/v.ts', "import { CloseCode } from '../../server/protocol/frames.ts';"),
      ...importsOf('web/mesh/routing/u.ts', "import { workerSkills } from '../../agents/skills/index.ts';"),
      ...importsOf('headless-node/cli/t.ts', "import { createMesh } from '../../web/mesh/mesh.ts';"),
      // The hub reaches the mesh only through the library's public entry: no back door.
      ...importsOf('web/hub/state/s.ts', "import { createMesh } from '../../mesh/index.ts';"),
      ...importsOf('web/hub/state/r.ts', "import type { RouteInfo } from '../../mesh/routing/peer-route-types.ts';"),
      ...importsOf('web/hub/state/q.ts', "const m = await import('../../agents/browser/worker-agent-host.ts');"),
      ...importsOf('web/hub/state/p.ts', "import { createPeerHandle } from '../../lib/peer-handle.ts';"),
      ...importsOf('web/agents/skills/o.ts', "import { SkillError } from '../../mesh/agent-host.ts';"),
    ];
    expect(bad).toHaveLength(15);
    for (const edge of bad) expect(violations([edge]), `${edge.from} -> ${edge.to}`).not.toEqual([]);
    const named = violations(bad).join('\n');
    for (const rule of importRules) expect(named, rule.name).toContain(rule.name);
  });

  it('allows the shared contract and imports within a part', () => {
    const fine = [
      ...importsOf('web/mesh/x.ts', "import { validate } from '../../protocol/index.ts';"),
      ...importsOf('web/mesh/y.ts', "import { createTokenBucket } from '../../protocol/token-bucket.ts';"),
      ...importsOf('headless-node/session/z.ts', "import { createMesh } from '../../web/mesh/index.ts';"),
      ...importsOf('web/lib/s.ts', "import { createRelaySeal } from '../mesh/routing/relay-seal.ts';"),
      ...importsOf('server/signaling/w.ts', "import { CloseCode } from '../../protocol/index.ts';"),
      ...importsOf('protocol/index.ts', "export * from './backoff.ts';"),
      ...importsOf('headless-node/session/v.ts', "import { requestJson } from '../../protocol/api-client.ts';"),
      ...importsOf('web/hub/state/peer-runtime.ts', "import { joinMesh } from '../../lib/index.ts';"),
      ...importsOf('web/hub/session/session-state.ts', "import { createTokenSource } from '../../lib/token-source.ts';"),
      ...importsOf('web/agents/skills/run-skill.ts', "import { SkillError } from '../../mesh/agents.ts';"),
    ];
    expect(fine).toHaveLength(10);
    expect(violations(fine)).toEqual([]);
  });

  it('server/signaling has no import cycle: sessions reach their relay only through SessionHost', () => {
    const edges = repoImports(['server/signaling']);
    expect(edges.some((e) => e.from === 'server/signaling/signaling-relay.ts' && e.to === 'server/signaling/signaling-session.ts')).toBe(true);
    expect(cyclesUnder(edges, 'server/signaling')).toEqual([]);
  });

  it('finds a cycle, type-only imports included', () => {
    const edges = [
      ...importsOf('server/signaling/a.ts', "import { b } from './b.ts';"),
      ...importsOf('server/signaling/b.ts', "import type { C } from './c.ts';"),
      ...importsOf('server/signaling/c.ts', "import type { A } from './a.ts';"),
      ...importsOf('server/signaling/d.ts', "import { a } from './a.ts';"),
    ];
    expect(cyclesUnder(edges, 'server/signaling')).toEqual(['server/signaling/a.ts -> server/signaling/b.ts -> server/signaling/c.ts -> server/signaling/a.ts']);
  });
});
