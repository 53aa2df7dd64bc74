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
  // web/mesh/ in rooms (docs/architecture.md); index.ts, mesh.ts and the shared types stay at the top.
  ['web/mesh/signaling-client.ts', 'web/mesh/signaling/signaling-client.ts'],
  ['web/mesh/frame-pacer.ts', 'web/mesh/signaling/frame-pacer.ts'],
  ['web/mesh/token-source.ts', 'web/mesh/signaling/token-source.ts'],
  ['web/mesh/peer-link.ts', 'web/mesh/link/peer-link.ts'],
  ['web/mesh/peer-link-types.ts', 'web/mesh/link/peer-link-types.ts'],
  ['web/mesh/candidate-gate.ts', 'web/mesh/link/candidate-gate.ts'],
  ['web/mesh/link-channel.ts', 'web/mesh/link/link-channel.ts'],
  ['web/mesh/link-handshake.ts', 'web/mesh/link/link-handshake.ts'],
  ['web/mesh/link-identity.ts', 'web/mesh/link/link-identity.ts'],
  ['web/mesh/link-budget.ts', 'web/mesh/link/link-budget.ts'],
  ['web/mesh/link-reporter.ts', 'web/mesh/link/link-reporter.ts'],
  ['web/mesh/tier.ts', 'web/mesh/link/tier.ts'],
  ['web/mesh/channel-sender.ts', 'web/mesh/channel/channel-sender.ts'],
  ['web/mesh/channel-wire.ts', 'web/mesh/channel/channel-wire.ts'],
  ['web/mesh/framing.ts', 'web/mesh/channel/framing.ts'],
  ['web/mesh/message-codec.ts', 'web/mesh/channel/message-codec.ts'],
  ['web/mesh/binary-values.ts', 'web/mesh/channel/binary-values.ts'],
  ['web/mesh/agent-channel-label.ts', 'web/mesh/channel/agent-channel-label.ts'],
  ['web/mesh/agent-channel-server.ts', 'web/mesh/channel/agent-channel-server.ts'],
  ['web/mesh/agent-channels.ts', 'web/mesh/channel/agent-channels.ts'],
  ['web/mesh/mesh-calls.ts', 'web/mesh/calls/mesh-calls.ts'],
  ['web/mesh/pending-requests.ts', 'web/mesh/calls/pending-requests.ts'],
  ['web/mesh/message-factory.ts', 'web/mesh/calls/message-factory.ts'],
  ['web/mesh/skill-outcome.ts', 'web/mesh/calls/skill-outcome.ts'],
  ['web/mesh/task-runner.ts', 'web/mesh/calls/task-runner.ts'],
  ['web/mesh/lazy-task-runner.ts', 'web/mesh/calls/lazy-task-runner.ts'],
  ['web/mesh/task-payload.ts', 'web/mesh/calls/task-payload.ts'],
  ['web/mesh/peer-route.ts', 'web/mesh/routing/peer-route.ts'],
  ['web/mesh/peer-route-types.ts', 'web/mesh/routing/peer-route-types.ts'],
  ['web/mesh/message-router.ts', 'web/mesh/routing/message-router.ts'],
  ['web/mesh/request-cache.ts', 'web/mesh/routing/request-cache.ts'],
  ['web/mesh/relay-seal.ts', 'web/mesh/routing/relay-seal.ts'],
  ['web/mesh/seal-keys.ts', 'web/mesh/routing/seal-keys.ts'],
  ['web/mesh/lazy-relay-seal.ts', 'web/mesh/routing/lazy-relay-seal.ts'],
  ['web/mesh/replay-window.ts', 'web/mesh/routing/replay-window.ts'],
];

// test/architecture's examples are deliberately bad imports (old paths included): left as written.
const SKIP = new Set(['node_modules', 'dist', '.git', 'architecture']);
function walk(dir, pattern = /\.(tsx?|mjs)$/) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : walk(path, pattern);
    return pattern.test(e.name) ? [path] : [];
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
// Paths named in docs, comments and test strings follow moved files (whole file paths only).
const self = relative(root, fileURLToPath(import.meta.url)).split('\\').join('/');
const named = MOVES.filter(([from]) => !from.endsWith('/'));
for (const file of walk('', /\.(tsx?|mjs|md|json)$/)) {
  if (file === self) continue;
  const text = readFileSync(join(root, file), 'utf8');
  let out = text;
  for (const [from, to] of named) out = out.split(from).join(to);
  if (out !== text) { writeFileSync(join(root, file), out); changed++; }
}
console.log(`repoint-imports: ${changed} file(s) rewritten`);
