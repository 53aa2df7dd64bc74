import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const MAX_LINES = 300;
/** Shipped source; tests, benches and generated files may run longer. */
const PARTS = ['protocol', 'server', 'web', 'headless-node', 'scripts', 'bin'];
const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
const SKIP = /(^|\/)(node_modules|dist|generated)(\/|$)|\.test\.|\.generated\./;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (SKIP.test(relative(ROOT, path))) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(name) ? [path] : [];
  });
}

function oversized(files: Array<{ path: string; text: string }>): string[] {
  return files.map((f) => ({ path: f.path, lines: f.text.split('\n').length - (f.text.endsWith('\n') ? 1 : 0) }))
    .filter((f) => f.lines > MAX_LINES)
    .map((f) => `${f.path}: ${f.lines} lines (at most ${MAX_LINES}: split it along a real seam)`);
}

describe('file size', () => {
  it(`no source file is over ${MAX_LINES} lines`, () => {
    const files = PARTS.flatMap((part) => sourceFiles(join(ROOT, part))).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));
    // A scanner that finds nothing would pass vacuously.
    expect(files.length).toBeGreaterThan(200);
    expect(oversized(files)).toEqual([]);
  });

  it('names a file one line over the limit, and not one at it', () => {
    const at = { path: 'web/a.ts', text: 'x\n'.repeat(MAX_LINES) };
    const over = { path: 'web/b.ts', text: 'x\n'.repeat(MAX_LINES + 1) };
    expect(oversized([at, over])).toEqual([`web/b.ts: ${MAX_LINES + 1} lines (at most ${MAX_LINES}: split it along a real seam)`]);
  });
});
