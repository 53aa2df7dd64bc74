import { measureBrowser } from './measure.ts';

// Runs inside the network namespace (spawned by bench/browser.ts): JSON result on stdout, progress on stderr.
const quick = process.argv.includes('--quick');
const result = await measureBrowser({ quick, log: (m) => console.error(`[browser] ${m}`) });
console.log(JSON.stringify(result));
