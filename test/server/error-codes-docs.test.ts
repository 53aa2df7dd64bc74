import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const protocolDoc = readFileSync(join(ROOT, 'docs/protocol.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}
const serverSource = sources(join(ROOT, 'server')).join('\n');
const codes = (pattern: RegExp) => [...new Set([...serverSource.matchAll(pattern)].map((m) => m[1]!))].sort();
/** Documented means named in docs/protocol.md as `code` or 'code'. */
const undocumented = (list: string[]) => list.filter((c) => !protocolDoc.includes(`\`${c}\``) && !protocolDoc.includes(`'${c}'`));

describe('every error a client can get is in docs/protocol.md', () => {
  it('HTTP error codes (HttpError and the JSON refusals of the entries)', () => {
    const http = codes(/HttpError\(\d+, '([a-z-]+)'/g);
    const entries = codes(/refuse\(\d+, '([a-z-]+)'/g);
    expect(http.length).toBeGreaterThan(10);
    expect(undocumented([...new Set([...http, ...entries, 'forbidden-origin'])])).toEqual([]);
  });

  it('WebSocket error frame codes', () => {
    const frames = codes(/refuse\('([a-z-]+)'/g);
    expect(frames.length).toBeGreaterThan(5);
    expect(undocumented(frames)).toEqual([]);
  });
});
