/**
 * Runs `sweepSome` every `intervalMs` until stopped. Each call removes at most a bounded batch of
 * expired entries and returns true when it filled its batch (more are waiting): the next batch
 * then runs on the next macrotask instead of a whole interval later, and requests still get
 * their turn between batches. Timers are unref'd: they never keep a process alive.
 */
export function startExpirySweeper(sweepSome: () => boolean, intervalMs: number, onError: (err: unknown) => void): () => void {
  let stopped = false;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const unref = (t: unknown) => (t as { unref?: () => void }).unref?.();
  const run = () => {
    pending = undefined;
    let more = false;
    try {
      more = !stopped && sweepSome();
    } catch (err) {
      onError(err);
    }
    if (more && !stopped) unref((pending = setTimeout(run, 0)));
  };
  const timer = setInterval(() => pending ?? run(), intervalMs);
  unref(timer);
  return () => {
    stopped = true;
    clearInterval(timer);
    if (pending) clearTimeout(pending);
  };
}
