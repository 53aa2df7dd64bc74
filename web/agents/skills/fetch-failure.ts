/** fetch reports network failures as "fetch failed"; the cause names what actually happened. */
export function fetchFailureText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
