import { readFileSync } from 'node:fs';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

/** Every environment variable server/config.ts reads, found in its source so a new one cannot slip past the tests. */
export function envVarsReadByConfig(): string[] {
  const src = read('server/config.ts');
  // `env.NAME`, or a quoted all-caps name (how int/opt/list and ConfigError receive it).
  const names = [...src.matchAll(/env\.([A-Z][A-Z0-9_]+)|'([A-Z][A-Z0-9_]{2,})'/g)].map((m) => m[1] ?? m[2]!);
  return [...new Set(names)].sort();
}

/** A file of the repository as text (docs, sources). */
export const readRepoFile = read;
