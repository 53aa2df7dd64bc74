import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { CloseCode } from '../../protocol/index.ts';
import { envVarsReadByConfig, readRepoFile } from './support/source-facts.ts';

const protocolDoc = readRepoFile('docs/protocol.md');
const operationsDoc = readRepoFile('docs/operations.md');

/** Rows of the first markdown table after `heading`, as arrays of trimmed cells. */
function tableAfter(doc: string, heading: string): string[][] {
  const start = doc.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const lines = doc.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

/** All files under server/ as text (to find what the code registers). */
function serverSources(dir = 'server'): string {
  return readdirSync(new URL(`../../${dir}`, import.meta.url), { withFileTypes: true })
    .map((e) => (e.isDirectory() ? serverSources(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? readRepoFile(`${dir}/${e.name}`) : ''))
    .join('\n');
}

describe('docs stay equal to the code', () => {
  it('docs/protocol.md lists exactly the close codes of CloseCode', () => {
    const documented = tableAfter(protocolDoc, '### Close codes').map(([code, name]) => [name!, Number(code)]);
    expect(Object.fromEntries(documented)).toEqual(CloseCode);
  });

  it('docs/operations.md lists every environment variable server/config.ts reads, once', () => {
    const rows = tableAfter(operationsDoc, '## Environment variables').map(([name]) => name!.replace(/`/g, ''));
    expect([...rows].sort()).toEqual(envVarsReadByConfig());
  });

  it('the documented defaults are the real defaults and the documented integer ranges the real rules', () => {
    for (const [cell, def, rule] of tableAfter(operationsDoc, '## Environment variables')) {
      const name = cell!.replace(/`/g, '');
      const literal = /^`([^`]+)`$/.exec(def!)?.[1];
      if (literal !== undefined) expect(loadConfig({ [name]: literal }), `${name} default`).toEqual(loadConfig({}));
      const range = /^integer from (\d+) to (\d+)/.exec(rule!);
      if (range) {
        for (const bad of [Number(range[1]) - 1, Number(range[2]) + 1].filter((n) => n >= 0)) {
          expect(() => loadConfig({ [name]: String(bad) }), `${name}=${bad}`).toThrow(ConfigError);
        }
        expect(() => loadConfig({ [name]: range[2]! })).not.toThrow();
        expect(() => loadConfig({ [name]: range[1]! })).not.toThrow();
      }
    }
  });

  it('docs/operations.md lists every metric the server registers', () => {
    const registered = [...serverSources().matchAll(/\.(?:counter|gauge|histogram)\(\s*'(tabmesh_[a-z_]+)'/g)].map((m) => m[1]!);
    expect(registered.length).toBeGreaterThanOrEqual(7);
    const documented = tableAfter(operationsDoc, '## Metrics').map(([name]) => name!.replace(/`/g, ''));
    expect([...new Set(registered)].sort()).toEqual([...documented].sort());
  });

  it('docs/protocol.md lists every error-frame code the signaling relay sends', () => {
    const relay = readRepoFile('server/signaling/signaling-relay.ts') + readRepoFile('server/signaling/signaling-session.ts');
    const used = new Set([...relay.matchAll(/refuse\('([a-z-]+)'|code: '([a-z-]+)'/g)].map((m) => m[1] ?? m[2]!));
    const documented = tableAfter(protocolDoc, '### Error frame codes').map(([code]) => code!.replace(/`/g, ''));
    expect([...used].sort()).toEqual([...documented].sort());
  });
});
