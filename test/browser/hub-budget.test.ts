import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureInitialJs } from './helpers/initial-js.ts';

const DIST = new URL('../../web/dist', import.meta.url).pathname;
const BUDGET_GZIP_BYTES = 60 * 1024;

describe('hub JavaScript budget', () => {
  it('keeps the initial load under 60 KB gzip', () => {
    const js = measureInitialJs(DIST);
    console.log(`hub initial JS: ${js.files.length} files, ${js.rawBytes} B raw, ${js.gzipBytes} B gzip`);
    expect(js.files.some((f) => f.startsWith('assets/'))).toBe(true);
    expect(js.gzipBytes).toBeLessThan(BUDGET_GZIP_BYTES);
  });

  it('counts static imports and leaves dynamic imports out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-budget-'));
    writeFileSync(join(dir, 'index.html'), '<script type="module" src="/a.js"></script><link rel="modulepreload" href="/b.js">');
    writeFileSync(join(dir, 'a.js'), 'import{x as y}from"./b.js";import"./c.js";const l=()=>import("./lazy.js");');
    writeFileSync(join(dir, 'b.js'), 'export{z}from"./d.js";export const x=1;');
    writeFileSync(join(dir, 'c.js'), 'console.log(1)');
    writeFileSync(join(dir, 'd.js'), 'export const z=2');
    writeFileSync(join(dir, 'lazy.js'), 'x'.repeat(100_000));
    const js = measureInitialJs(dir);
    expect(js.files.sort()).toEqual(['a.js', 'b.js', 'c.js', 'd.js']);
    expect(js.rawBytes).toBeLessThan(1000);
  });
});
