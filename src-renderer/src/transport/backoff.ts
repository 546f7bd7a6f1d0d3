// Reconnect delays for the web transport: exponential with full jitter, capped, so a
// restarted server is found again quickly and many tabs do not retry in lockstep.

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 10_000 };

/**
 * Delay before reconnect attempt `attempt` (1-based). `random` is injectable for tests;
 * the floor of half the exponential step keeps retries from collapsing to zero.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const half = step / 2;
  return Math.round(half + random() * half);
}
