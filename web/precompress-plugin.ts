import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { COMPRESSIBLE_TYPE, compressBytes, MIN_COMPRESS_BYTES } from '../server/http/compression.ts';

const TYPE_BY_EXT: Record<string, string> = {
  '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json', '.json': 'application/json',
};

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) yield* files(join(dir, e.name));
    else yield join(dir, e.name);
  }
}

/**
 * Writes `file.br` and `file.gz` next to every text file of the build, at maximum quality, so
 * the server (server/hub-static.ts) sends compressed bytes without compressing per request.
 * Runs after every other plugin, so the service worker is included.
 */
export function precompress(outDir: string): Plugin {
  return {
    name: 'tabmesh-precompress',
    apply: 'build',
    enforce: 'post',
    closeBundle: {
      order: 'post',
      handler() {
        for (const file of files(outDir)) {
          const ext = /\.[a-z]+$/.exec(file)?.[0] ?? '';
          if (!COMPRESSIBLE_TYPE.test(TYPE_BY_EXT[ext] ?? '') || statSync(file).size < MIN_COMPRESS_BYTES) continue;
          const bytes = readFileSync(file);
          writeFileSync(`${file}.br`, compressBytes(bytes, 'br', 'max'));
          writeFileSync(`${file}.gz`, compressBytes(bytes, 'gzip', 'max'));
        }
      },
    },
  };
}
