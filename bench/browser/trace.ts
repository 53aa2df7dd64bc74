import { writeFileSync } from 'node:fs';
import type { CDPSession } from 'playwright-core';

/**
 * Records a Chrome trace (timeline, V8 execution and sampled stacks) of one visit, for finding
 * what a long task spends its time on (`HUB_PHONE_TRACE=prefix`; open the file in DevTools'
 * Performance panel). Returns a function that stops recording and writes the file.
 */
export async function startTrace(cdp: CDPSession): Promise<(file: string) => Promise<void>> {
  const events: unknown[] = [];
  cdp.on('Tracing.dataCollected', (e: { value: unknown[] }) => { events.push(...e.value); });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'v8', 'blink.user_timing', 'loading', 'disabled-by-default-v8.cpu_profiler'] },
  });
  return async (file) => {
    const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.end');
    await done;
    writeFileSync(file, JSON.stringify({ traceEvents: events }));
  };
}
