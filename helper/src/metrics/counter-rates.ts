// Turns cumulative counters (CPU time, bytes read, bytes sent) into per-second rates,
// per series. A gap longer than a few seconds (a stop, a helper restart) or a counter that
// went down (the process or the cgroup was recreated) gives no rate for that one sample.

const MAX_RATE_GAP_MS = 10_000;

export class CounterRates {
  private readonly previous = new Map<string, { at: number; counters: readonly number[] }>();

  /** Rates per second of each counter since this key's previous call; zeros the first time. */
  rates(key: string, atMs: number, counters: readonly number[]): number[] {
    const prev = this.previous.get(key);
    this.previous.set(key, { at: atMs, counters });
    const dt = prev ? (atMs - prev.at) / 1000 : 0;
    const usable = prev !== undefined && dt > 0 && atMs - prev.at <= MAX_RATE_GAP_MS;
    return counters.map((now, i) => {
      const before = prev?.counters[i];
      return usable && before !== undefined && now >= before ? (now - before) / dt : 0;
    });
  }

  /** Forgets keys not in `keep`, so series of deleted resources do not pile up. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.previous.keys()) if (!keep.has(key)) this.previous.delete(key);
  }
}
