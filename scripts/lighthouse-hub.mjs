#!/usr/bin/env node
// Lighthouse (mobile and desktop) on the built hub with 10 link-reporting peers, in a private
// network namespace: `node scripts/in-netns.mjs node scripts/lighthouse-hub.mjs`.
// Lighthouse is not a dependency (about 200 packages): install it first, without saving:
// `npm install --no-save lighthouse@12`. Needs `npm run build` (dist/ and web/dist/).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN = 'bench-admin-key-0123456789';
let lighthouse, chromeLauncher;
try {
  lighthouse = (await import('lighthouse')).default;
  chromeLauncher = await import('chrome-launcher');
} catch {
  console.error('lighthouse is not installed: npm install --no-save lighthouse@12');
  process.exit(2);
}
const server = spawn(process.execPath, [join(ROOT, 'dist/server/main.node.js')], {
  cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `admin:${ADMIN}`, TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-lh-')), LOG_LEVEL: 'warn' },
});
const port = await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /listening on https?:\/\/[^:]+:(\d+)/.exec(out);
    if (m) resolve(m[1]);
  });
});
const url = `http://127.0.0.1:${port}`;
const { startReportingPeers } = await import(join(ROOT, 'dist/bench/browser/reporting-peers.js'));
const peers = await startReportingPeers(url, 10, { adminKey: ADMIN });
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-features=WebRtcHideLocalIpsWithMdns', '--no-first-run'],
});
const rows = [];
try {
  for (const formFactor of ['mobile', 'desktop']) {
    const config = formFactor === 'desktop' ? (await import('lighthouse/core/config/desktop-config.js')).default : undefined;
    const { lhr } = await lighthouse(`${url}/#admin=${ADMIN}`, { port: chrome.port, output: 'json', onlyCategories: ['performance', 'accessibility'], logLevel: 'error' }, config);
    const a = lhr.audits;
    rows.push({
      formFactor, performance: Math.round(lhr.categories.performance.score * 100), accessibility: Math.round(lhr.categories.accessibility.score * 100),
      'FCP ms': Math.round(a['first-contentful-paint'].numericValue), 'LCP ms': Math.round(a['largest-contentful-paint'].numericValue),
      'TBT ms': Math.round(a['total-blocking-time'].numericValue), CLS: Number(a['cumulative-layout-shift'].numericValue.toFixed(3)),
      'load avg': Number(loadavg()[0].toFixed(2)),
    });
  }
} finally {
  await chrome.kill();
  peers.stop();
  server.kill();
}
console.table(rows);
console.log(JSON.stringify(rows));
