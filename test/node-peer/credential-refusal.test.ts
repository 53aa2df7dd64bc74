import { describe, expect, it } from 'vitest';
import { isCredentialRefusal, refusalLine } from '../../headless-node/cli/credential-refusal.ts';
import { MeshError } from '../../web/mesh/errors.ts';

// The wording branches the process tests (cli-node-refused.test.ts) do not reach.
const refused = (code: 'unauthorized' | 'revoked') => new MeshError(code, 'refused', { retryable: false }) as MeshError & { code: typeof code };
const ctx = { url: 'https://mesh.example.com', name: 'pi', dataDir: '/home/pi/.tabmesh/nodes/pi', customDataDir: false };

describe('tabmesh node refusal line', () => {
  it('tells a revoked key from an unknown one and offers pairing instead', () => {
    const key = { secret: 'tma_abc', source: 'flag' as const };
    expect(refusalLine(refused('revoked'), { ...ctx, credential: key })).toBe(
      'the API key was revoked on https://mesh.example.com; check --key / TABMESH_KEY, or pair this node instead: create a pairing code in the hub (Admin tab) and run: tabmesh node --url https://mesh.example.com --name pi --code CODE',
    );
  });

  it('names a device token given with --token, and quotes a data dir the shell would split', () => {
    const line = refusalLine(refused('unauthorized'), { ...ctx, dataDir: "/srv/my node's dir", customDataDir: true, credential: { secret: 'tmd_x', source: 'flag' } });
    expect(line).toBe(
      "the server at https://mesh.example.com no longer knows this device (it refused the device token given with --token / TABMESH_KEY); to pair again, create a pairing code in the hub (Admin tab) and run: tabmesh node --url https://mesh.example.com --name pi --data-dir '/srv/my node'\\''s dir' --code CODE",
    );
  });

  it('counts only non-retryable unauthorized/revoked errors as refusals', () => {
    expect([refused('revoked'), refused('unauthorized'), new MeshError('revoked', 'x'), new MeshError('token-failed', 'x', { retryable: false }), new Error('x')].map(isCredentialRefusal))
      .toEqual([true, true, false, false, false]);
  });
});
