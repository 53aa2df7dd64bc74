/**
 * Heap and external memory this process still holds after a full GC, kB per `of` (a mesh core, a
 * simulated peer); undefined without `--expose-gc`. RSS alone counts garbage V8 has not collected
 * yet, most of it under a large `--max-old-space-size`.
 */
export function liveKBPer(of: number): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return (heapUsed + external) / of / 1000;
}
