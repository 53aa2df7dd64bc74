/** One line of `tabmesh doctor` output: what was checked, how it went, and what to do about it. */
export interface CheckResult {
  status: 'ok' | 'warn' | 'fail' | 'skip';
  /** Short statement of the finding, e.g. "server reachable: /health 200 (3 ms)". */
  title: string;
  /** For warn/fail: the fix, in plain words. */
  fix?: string;
}

export const ok = (title: string): CheckResult => ({ status: 'ok', title });
export const warn = (title: string, fix?: string): CheckResult => ({ status: 'warn', title, ...(fix ? { fix } : {}) });
export const fail = (title: string, fix?: string): CheckResult => ({ status: 'fail', title, ...(fix ? { fix } : {}) });
export const skip = (title: string): CheckResult => ({ status: 'skip', title });

/** Milliseconds since `started` (a performance.now() value), rounded for humans. */
export const elapsed = (started: number): string => `${Math.round(performance.now() - started)} ms`;
