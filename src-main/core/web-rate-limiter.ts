// Slows down whoever guesses credentials at a remote `nova web`: per client address, the
// first few failures cost nothing (a mistyped token), then each further try must wait
// twice as long as the one before, up to a ceiling. While an address waits, it is answered
// 429 without its credential even being looked at. A success forgives the address; an
// address quiet for long enough is forgotten, and the table has a fixed size, so a flood
// of addresses cannot grow it without end.

export interface RateLimitOptions {
  /** Failures allowed before any waiting. */
  freeFailures?: number;
  /** The wait after the first failure beyond the free ones; it doubles with each next one. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How many addresses are remembered at most (the oldest are dropped first). */
  maxAddresses?: number;
  now?: () => number;
}

interface Failures {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export class FailureRateLimiter {
  private readonly byAddress = new Map<string, Failures>();
  private readonly freeFailures: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(options: RateLimitOptions = {}) {
    this.freeFailures = options.freeFailures ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 15 * 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** How long `address` must still wait before its next try is looked at; 0 when it may try now. */
  waitMs(address: string): number {
    const r = this.byAddress.get(address);
    if (!r) return 0;
    const now = this.now();
    // Forgotten once a whole ceiling has passed since its last failure.
    if (now - r.lastFailure > this.maxDelayMs) {
      this.byAddress.delete(address);
      return 0;
    }
    return Math.max(0, r.blockedUntil - now);
  }

  /** Counts a failure; returns how many `address` has made in a row. */
  fail(address: string): number {
    const now = this.now();
    const r = this.byAddress.get(address) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
    r.failures += 1;
    r.lastFailure = now;
    const beyond = r.failures - this.freeFailures;
    if (beyond > 0) r.blockedUntil = now + Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(beyond - 1, 30));
    // Re-inserted so the map's order is the order of last failure: the oldest go first.
    this.byAddress.delete(address);
    this.byAddress.set(address, r);
    while (this.byAddress.size > this.maxAddresses) {
      const oldest = this.byAddress.keys().next().value;
      if (oldest === undefined) break;
      this.byAddress.delete(oldest);
    }
    return r.failures;
  }

  succeed(address: string): void {
    this.byAddress.delete(address);
  }
}
