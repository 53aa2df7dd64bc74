#!/usr/bin/env node
// Folder moves of issue #15: moves files with `git mv` and rewrites every relative import that
// pointed at an old path, so a move is one mechanical commit. Run with no flag after merging a
// branch written before the move: it only rewrites imports (the files have already moved).
//   node scripts/repoint-imports.mjs          rewrite imports to the moved paths
//   node scripts/repoint-imports.mjs --move   git mv the files first, then rewrite
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Old repo-relative file path -> new one. Directories are expanded from the old tree by --move. */
const MOVES = [
  ['server/protocol.ts', 'protocol/index.ts'],
  ['server/protocol/', 'protocol/'],
  ['web/lib/http.ts', 'protocol/api-client.ts'],
];

const SKIP = new Set(['node_modules', 'dist', '.git']);
function walk(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : walk(path);
    return /\.(tsx?|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Where an old path lives now (unchanged when no move covers it). */
function moved(path) {
  for (const [from, to] of MOVES) {
    if (from.endsWith('/') ? path.startsWith(from) : path === from) return to + path.slice(from.length);
  }
  return path;
}

if (process.argv.includes('--move')) {
  for (const file of walk('').filter((f) => moved(f) !== f)) {
    mkdirSync(join(root, dirname(moved(file))), { recursive: true });
    execFileSync('git', ['mv', file, moved(file)], { cwd: root });
  }
}

// After the move a file's old location is unknown, so an import is resolved against every place
// the file could have been written: its current location, or (for moved files) its old one.
const reverse = (path) => {
  for (const [from, to] of MOVES) {
    if (to.endsWith('/') ? path.startsWith(to) && from.endsWith('/') : path === to) return from + path.slice(to.length);
  }
  return path;
};

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|\bvi\.mock\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/gm;
let changed = 0;
for (const file of walk('')) {
  const text = readFileSync(join(root, file), 'utf8');
  const oldHome = reverse(file);
  const out = text.replace(SPECIFIER, (all, lead, quote, spec) => {
    const here = posix.normalize(posix.join(posix.dirname(file), spec));
    const then = posix.normalize(posix.join(posix.dirname(oldHome), spec));
    let target;
    if (existsSync(join(root, here))) target = here;
    else if (moved(here) !== here) target = moved(here);
    else if (existsSync(join(root, moved(then)))) target = moved(then);
    else return all;
    let rel = relative(posix.dirname(file), target).split('\\').join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return rel === spec ? all : `${lead}${quote}${rel}${quote}`;
  });
  if (out !== text) { writeFileSync(join(root, file), out); changed++; }
}
console.log(`repoint-imports: ${changed} file(s) rewritten`);
