import { processCpuSecondsPrecise as processCpuSeconds } from '../lib/proc-stats.ts';

/** A process's CPU rate (CPU s per wall s) over `ms`: what it spends anyway while nothing is asked of it. */
export async function idleRate(pid: number, ms: number): Promise<number> {
  const c0 = processCpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (processCpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000);
}

/**
 * Samples a process's CPU time every 20 ms, so a window can end at the last link that opened
 * rather than at the timeout of one that never did (an idle server still ticks).
 */
export function cpuSampler(pid: number): { stop(): void; at(epochMs: number): number } {
  const samples: Array<[number, number]> = [[Date.now(), processCpuSeconds(pid)]];
  const timer = setInterval(() => samples.push([Date.now(), processCpuSeconds(pid)]), 20);
  return {
    stop: () => (clearInterval(timer), samples.push([Date.now(), processCpuSeconds(pid)])),
    /** CPU seconds at the first sample taken at or after `epochMs`. */
    at: (epochMs) => (samples.find(([t]) => t >= epochMs) ?? samples[samples.length - 1]!)[1],
  };
}
