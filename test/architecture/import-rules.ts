import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = normalize(join(dirname(fileURLToPath(import.meta.url)), '../..'));

/** One import edge: `from` imports `to`, both repo-relative with `/` separators. */
export interface ImportEdge { from: string; to: string }

interface Rule { name: string; forbids(edge: ImportEdge): boolean }

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
const isProtocol = (p: string) => under(p, 'protocol');
/** Build tooling under web/ runs in Node at build time, never in a page: the server's compression is shared with it. */
const BUILD_TOOLING = new Set(['web/vite.config.ts', 'web/precompress-plugin.ts']);

/** What the hub may import from web/lib/: the public entry, and the clients its sign-in shares with the library. */
const HUB_MAY_USE_FROM_LIB = new Set(['web/lib/index.ts', 'web/lib/authed-api.ts', 'web/lib/token-source.ts', 'web/lib/pairing-client.ts']);

/** The allowed directions between the parts: protocol/ is the contract server, browser and Node peer share. */
export const importRules: Rule[] = [
  { name: 'protocol/ imports no part: server, browser and Node peer all share it', forbids: (e) => isProtocol(e.from) && !isProtocol(e.to) },
  { name: 'server/ imports nothing from web/ or headless-node/', forbids: (e) => under(e.from, 'server') && (under(e.to, 'web') || under(e.to, 'headless-node')) },
  { name: 'web/ imports nothing from server/', forbids: (e) => under(e.from, 'web') && !BUILD_TOOLING.has(e.from) && under(e.to, 'server') },
  { name: 'web/mesh/ imports only protocol/ and itself: the one mesh core for browser and Node', forbids: (e) => under(e.from, 'web/mesh') && !under(e.to, 'web/mesh') && !isProtocol(e.to) },
  // Agents (skills, browser agent Workers) have their own narrow entry, so a Worker bundle does not
  // take the whole core. web/lib/ is the browser face of the mesh core and still imports single
  // files: its on-demand chunks are split at those files (docs/browser-library.md "Size").
  { name: 'web/agents/ imports web/mesh/ only through its agent entry web/mesh/agents.ts (or index.ts)', forbids: (e) => under(e.from, 'web/agents') && under(e.to, 'web/mesh') && e.to !== 'web/mesh/agents.ts' && e.to !== 'web/mesh/index.ts' },
  { name: 'headless-node/ imports web/mesh/ only through web/mesh/index.ts', forbids: (e) => under(e.from, 'headless-node') && under(e.to, 'web/mesh') && e.to !== 'web/mesh/index.ts' },
  // The hub is a page like any other: its peer runs on tabmesh/browser's public entry. Its sign-in
  // (before the first render, so not the whole library) uses the library's HTTP/token/pairing clients.
  {
    name: 'web/hub/ runs its peer on tabmesh/browser (web/lib/index.ts): nothing from web/mesh/ or web/agents/browser/, of web/lib/ only the entry and its HTTP/token/pairing clients',
    forbids: (e) => under(e.from, 'web/hub') && (under(e.to, 'web/mesh') || under(e.to, 'web/agents/browser') || (under(e.to, 'web/lib') && !HUB_MAY_USE_FROM_LIB.has(e.to))),
  },
  { name: 'headless-node/ imports nothing from web/hub/', forbids: (e) => under(e.from, 'headless-node') && under(e.to, 'web/hub') },
];

// Static imports and re-exports (`from '…'`), side-effect imports and dynamic `import('…')`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** Relative import edges of one source text; package imports are not part of these rules. */
export function importsOf(file: string, text: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1]!;
    if (!spec.startsWith('.')) continue;
    edges.push({ from: file, to: normalize(join(dirname(file), spec)).split('\\').join('/') });
  }
  return edges;
}

/** Known exceptions (headless-node importing a hub file), each with the change that removes it; none left. */
export const ALLOWED_FOR_NOW = new Set<string>([]);

export function violations(edges: ImportEdge[]): string[] {
  return edges
    .filter((e) => !(e.from.startsWith('headless-node/') && ALLOWED_FOR_NOW.has(e.to)))
    .flatMap((e) => importRules.filter((r) => r.forbids(e)).map((r) => `${e.from} imports ${e.to}: ${r.name}`));
}

const SKIP = new Set(['node_modules', 'dist']);

/** Every .ts/.tsx file under `dir` (repo-relative), build output excluded. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : sourceFiles(path);
    return /\.tsx?$/.test(e.name) ? [relative(repoRoot, join(repoRoot, path)).split('\\').join('/')] : [];
  });
}

export function repoImports(dirs: string[]): ImportEdge[] {
  return dirs.flatMap(sourceFiles).flatMap((f) => importsOf(f, readFileSync(join(repoRoot, f), 'utf8')));
}

/** Import cycles among the files under `dir` (type-only imports count), each as `a -> b -> a`. */
export function cyclesUnder(edges: ImportEdge[], dir: string): string[] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (under(e.from, dir) && under(e.to, dir)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (file: string, path: string[]) => {
    const at = path.indexOf(file);
    if (at >= 0) return void found.push([...path.slice(at), file].join(' -> '));
    if (done.has(file)) return;
    for (const to of next.get(file) ?? []) visit(to, [...path, file]);
    done.add(file);
  };
  for (const file of next.keys()) visit(file, []);
  return found;
}
