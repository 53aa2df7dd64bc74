/** One table row; columns are the union of keys over all rows, in first-seen order. */
export type BenchRow = Record<string, string | number | boolean | null>;

/** What a benchmark returns to the runner. */
export interface BenchResult {
  rows: BenchRow[];
  /** Printed under the table and stored in the JSON (method, settings, caveats). */
  notes?: string[];
  /**
   * Every setting that differs from a default install (`npm start`, a default mesh peer): listed
   * next to the table in docs/benchmarks.md, so a number is never read without its conditions.
   */
  settings?: string[];
  /** Raw measurements kept in the JSON only. */
  details?: unknown;
}

/** What the runner gives every benchmark. */
export interface BenchContext {
  /** Shorter runs for development; numbers from a quick run are not for docs. */
  quick: boolean;
  /** Progress line on stderr (stdout carries only the table). */
  log(message: string): void;
}

/** A benchmark module: `bench/<name>.ts` exports `run`. */
export interface BenchModule {
  run(ctx: BenchContext): Promise<BenchResult>;
}
