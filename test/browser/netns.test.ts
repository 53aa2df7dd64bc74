import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';

describe('browser suite network isolation', () => {
  it('runs in the private namespace (lo + veth only) or says it runs on the host', () => {
    const mode = process.env.TABMESH_NETNS;
    expect(['inside', 'host']).toContain(mode);
    if (mode === 'inside') expect(Object.keys(networkInterfaces()).sort()).toEqual(['lo', 'va', 'vb']);
    else console.warn('browser suite on the host: WebRTC tabs may gather candidates on real interfaces');
  });
});
