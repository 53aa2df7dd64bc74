import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIBRARY_BUDGET_BYTES } from '../../web/lib/vite.config.ts';
import { measureInitialJs } from './helpers/initial-js.ts';

const DIST = new URL('../../web/dist', import.meta.url).pathname;

describe('browser library size', () => {
  it('keeps what a page loads for tabmesh/browser under the budget, as the build recorded it', () => {
    const recorded = JSON.parse(readFileSync(`${DIST}/lib/size.json`, 'utf8')) as { libraryGzipBytes: number; libraryFiles: string[]; budgetBytes: number };
    // Measured again here from the entry's static imports, independently of the build's own chunk graph.
    const js = measureInitialJs(DIST, ['lib/tabmesh.js']);
    console.log(`tabmesh/browser: ${js.files.length} files, ${js.rawBytes} B raw, ${js.gzipBytes} B gzip (budget ${LIBRARY_BUDGET_BYTES} B)`);
    expect(js.files.map((f) => f.replace(/^lib\//, '')).sort()).toEqual([...recorded.libraryFiles].sort());
    expect(js.gzipBytes).toBe(recorded.libraryGzipBytes);
    expect(recorded.budgetBytes).toBe(LIBRARY_BUDGET_BYTES);
    expect(js.gzipBytes).toBeLessThan(LIBRARY_BUDGET_BYTES);
    // The Worker host is loaded on demand only: no comlink in the initial load.
    expect(js.files.some((f) => f.includes('worker-agents') || f.includes('agent-worker'))).toBe(false);
  });
});
