import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

describe('npm test', () => {
  it('type-checks everything (tests, hub, Deno entry) before any test runs, so a type error fails it', () => {
    expect(pkg.scripts.test!.startsWith('npm run typecheck && ')).toBe(true);
    expect(pkg.scripts.typecheck).toBe('tsc -p tsconfig.json && deno check server/main.deno.ts');
    const tsconfig = JSON.parse(readFileSync(new URL('../../tsconfig.json', import.meta.url), 'utf8')) as { include: string[] };
    expect(tsconfig.include).toEqual(expect.arrayContaining(['server', 'web', 'headless-node', 'test', 'bench']));
  });
});
