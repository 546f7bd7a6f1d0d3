// A timer that fires just after each multiple of its interval on the wall clock, rescheduled
// from the clock every time, so 1 Hz samples land one per second: setInterval's phase is
// arbitrary and drifts under load, and two samples read either side of a second's edge
// would fall into one second of the store and leave a gap beside it.

/** Calls `fn` with the start of each interval, `offsetMs` after it; returns a stop function. */
export function alignedTicker(intervalMs: number, fn: (startMs: number) => void, offsetMs = 50, now: () => number = Date.now): () => void {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let last = -Infinity;
  const schedule = () => {
    const t = now();
    // A timer may fire a millisecond early: never name the same interval twice.
    const next = Math.max((Math.floor((t - offsetMs) / intervalMs) + 1) * intervalMs, last + intervalMs);
    timer = setTimeout(() => {
      if (stopped) return;
      last = next;
      fn(next);
      schedule();
    }, Math.max(0, next + offsetMs - t));
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
