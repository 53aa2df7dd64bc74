import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MESH_ERROR_CODES, MeshError } from '../../web/mesh/errors.ts';

const protocolDoc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** The first column of the table under `heading`, without backticks. */
function documentedCodes(heading: string): string[] {
  const lines = protocolDoc.slice(protocolDoc.indexOf(heading)).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const codes: string[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    codes.push(line.split('|')[1]!.trim().replace(/`/g, ''));
  }
  return codes;
}

describe('mesh error codes', () => {
  it('docs/protocol.md documents exactly the codes of MeshErrorCode, once each', () => {
    expect(protocolDoc).toContain('## Mesh error codes');
    const documented = documentedCodes('## Mesh error codes');
    expect(documented.length).toBeGreaterThan(10);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...MESH_ERROR_CODES].sort());
  });

  it('a code from elsewhere passes through unchanged; the constructor takes only listed codes', () => {
    expect(MeshError.withCode('quota-exceeded', 'from a remote skill', { remote: true })).toMatchObject({ code: 'quota-exceeded', remote: true, retryable: true });
    // @ts-expect-error: an unlisted code is a type error (npm test type-checks this file)
    expect(new MeshError('no-such-code', 'x').code).toBe('no-such-code');
  });
});
