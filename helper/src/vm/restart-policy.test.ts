import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelayMs, DEFAULT_RESTART_TIMING, RestartScheduler, shouldRestart } from './restart-policy.js';
import { silentLogger } from '../util/logger.js';

describe('restart policy', () => {
  afterEach(() => vi.useRealTimers());

  it('never undoes a stop by a user; on-crash only after a crash; always also after the guest powers off', () => {
    for (const policy of ['no', 'on-crash', 'always', undefined] as const) expect(shouldRestart(policy, 'requested')).toBe(false);
    expect(shouldRestart('on-crash', 'crash')).toBe(true);
    expect(shouldRestart('on-crash', 'guest-shutdown')).toBe(false);
    expect(shouldRestart('always', 'guest-shutdown')).toBe(true);
    expect(shouldRestart('no', 'crash')).toBe(false);
    expect(shouldRestart(undefined, 'crash')).toBe(false);
  });

  it('backs off 1 s, 2 s, 4 s ... up to a minute', () => {
    expect([1, 2, 3, 7, 8, 20].map((n) => backoffDelayMs(n, DEFAULT_RESTART_TIMING))).toEqual([1000, 2000, 4000, 60000, 60000, 60000]);
  });

  it('starts a crashed VM again after the delay, counts short runs, and forgets them after a long one', async () => {
    vi.useFakeTimers();
    const started: string[] = [];
    const s = new RestartScheduler(async (n) => void started.push(n), silentLogger(), () => undefined);
    expect(s.ended('a', 'on-crash', 'crash', 500)).toEqual({ delayMs: 1000, tries: 1 });
    await vi.advanceTimersByTimeAsync(999);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual(['a']);
    expect(s.ended('a', 'on-crash', 'crash', 500)?.tries).toBe(2);
    expect(s.ended('a', 'on-crash', 'crash', 120_000)?.tries).toBe(1);
    s.dispose();
  });

  it('a stop cancels a waiting restart, and the policy gives up after too many short runs, saying so', async () => {
    vi.useFakeTimers();
    const started: string[] = [];
    const gaveUp: string[] = [];
    const s = new RestartScheduler(async (n) => void started.push(n), silentLogger(), (_n, why) => gaveUp.push(why), { ...DEFAULT_RESTART_TIMING, maxTries: 2 });
    s.ended('a', 'always', 'crash', 0);
    s.cancel('a');
    await vi.advanceTimersByTimeAsync(5000);
    expect(started).toEqual([]);
    s.ended('b', 'always', 'crash', 0);
    s.ended('b', 'always', 'crash', 0);
    expect(s.ended('b', 'always', 'crash', 0)).toBeNull();
    expect(gaveUp[0]).toMatch(/gave up after 2 restarts/);
    s.dispose();
  });
});
