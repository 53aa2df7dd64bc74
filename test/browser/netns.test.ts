import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';

describe('browser suite network isolation', () => {
  it('runs in the private namespace (lo + veth only), or on the host only when a developer opted in outside CI', () => {
    const mode = process.env.TABMESH_NETNS;
    // scripts/in-netns.mjs sets `host` only for an explicit TABMESH_NETNS=off, and refuses that under CI.
    if (mode === 'host' && !process.env.CI) {
      console.warn('browser suite on the host (TABMESH_NETNS=off): WebRTC tabs may gather candidates on real interfaces');
      return;
    }
    expect(mode).toBe('inside');
    expect(Object.keys(networkInterfaces()).sort()).toEqual(['lo', 'va', 'vb']);
  });
});
