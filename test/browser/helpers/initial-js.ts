import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface InitialJs {
  files: string[];
  rawBytes: number;
  gzipBytes: number;
}

const STATIC_IMPORT = /(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{}\s,]*?from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;

/**
 * The JavaScript a first visit must download before the hub renders: the module scripts and
 * modulepreloads in index.html plus everything they import statically (dynamic `import()`,
 * workers and the service worker are excluded). Sizes are gzip level 9 per file, in bytes.
 */
export function measureInitialJs(distDir: string, entries?: string[]): InitialJs {
  // `entries` (paths under distDir) start the walk instead of index.html: a library's entry module.
  const html = entries ? '' : readFileSync(join(distDir, 'index.html'), 'utf8');
  const queue = entries ? [...entries] : [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="(\/[^"]+\.js)"/g)].map((m) => m[1]!.slice(1));
  const seen = new Set<string>();
  let rawBytes = 0;
  let gzipBytes = 0;
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(join(distDir, file));
    rawBytes += code.byteLength;
    gzipBytes += gzipSync(code, { level: 9 }).byteLength;
    for (const m of code.toString('utf8').matchAll(STATIC_IMPORT)) queue.push(posix.join(posix.dirname(file), m[1]!));
  }
  return { files: [...seen], rawBytes, gzipBytes };
}
