#!/usr/bin/env node
// Thin JS entry so the CLI works on Node 20 (no built-in TypeScript): runs the compiled CLI.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/headless-node/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('tabmesh: not built yet; run `npm install` (or `npm run build`) in the tabmesh folder');
  process.exit(1);
}
await import(cli.href);
