import { describe, expect, it } from 'vitest';
import type { Identity } from '../../protocol/index.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { identityFor, idFor } from '../helpers/test-identity.ts';

describe('apiKeyTokenSource (browser library)', () => {
  const base = { url: 'http://127.0.0.1:9', key: 'k', fetch };

  it('refuses to start without an identity, naming the field and the way to get one', () => {
    const call = () => apiKeyTokenSource({ ...base, identity: undefined as unknown as Identity, peerId: 'alice' });
    expect(call).toThrow(/identity is required.*generateIdentity/);
    expect(call).toThrow(expect.objectContaining({ code: 'identity-required', retryable: false }));
  });

  it('refuses a peerId that is not the identity\'s key-derived id (a name is no identity)', async () => {
    const identity = await identityFor('alice');
    expect(() => apiKeyTokenSource({ ...base, identity, peerId: 'alice' })).toThrow(/peerId "alice" is not the id of the identity key/);
    expect(() => apiKeyTokenSource({ ...base, identity, peerId: idFor('bob') })).toThrow(expect.objectContaining({ code: 'identity-mismatch' }));
    expect(typeof apiKeyTokenSource({ ...base, identity, peerId: idFor('alice') })).toBe('function');
  });
});
