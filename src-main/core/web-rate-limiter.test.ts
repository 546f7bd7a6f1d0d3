import { describe, expect, it } from 'vitest';
import { FailureRateLimiter } from './web-rate-limiter.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('FailureRateLimiter', () => {
  it('lets five failures through, then makes each next try wait twice as long', () => {
    const c = clock();
    const limiter = new FailureRateLimiter({ now: c.now, baseDelayMs: 1000 });
    for (let i = 0; i < 5; i++) {
      expect(limiter.waitMs('10.0.0.9')).toBe(0);
      limiter.fail('10.0.0.9');
    }
    expect(limiter.waitMs('10.0.0.9')).toBe(0);
    limiter.fail('10.0.0.9');
    expect(limiter.waitMs('10.0.0.9')).toBe(1000);
    c.advance(1000);
    expect(limiter.waitMs('10.0.0.9')).toBe(0);
    limiter.fail('10.0.0.9');
    expect(limiter.waitMs('10.0.0.9')).toBe(2000);
    c.advance(2000);
    limiter.fail('10.0.0.9');
    expect(limiter.waitMs('10.0.0.9')).toBe(4000);
  });

  it('keeps addresses apart, and forgives an address that succeeds', () => {
    const c = clock();
    const limiter = new FailureRateLimiter({ now: c.now, freeFailures: 1 });
    limiter.fail('a');
    limiter.fail('a');
    expect(limiter.waitMs('a')).toBeGreaterThan(0);
    expect(limiter.waitMs('b')).toBe(0);
    limiter.succeed('a');
    expect(limiter.waitMs('a')).toBe(0);
    limiter.fail('a');
    expect(limiter.waitMs('a')).toBe(0);
  });

  it('stops doubling at the ceiling and forgets an address quiet for that long', () => {
    const c = clock();
    const limiter = new FailureRateLimiter({ now: c.now, freeFailures: 0, baseDelayMs: 1000, maxDelayMs: 5000 });
    for (let i = 0; i < 40; i++) limiter.fail('a');
    expect(limiter.waitMs('a')).toBe(5000);
    c.advance(5001);
    expect(limiter.waitMs('a')).toBe(0);
    expect(limiter.fail('a')).toBe(1);
  });

  it('remembers a bounded number of addresses, dropping the oldest', () => {
    const limiter = new FailureRateLimiter({ freeFailures: 0, maxAddresses: 3 });
    for (const a of ['a', 'b', 'c', 'd']) limiter.fail(a);
    expect(limiter.waitMs('a')).toBe(0);
    expect(limiter.waitMs('d')).toBeGreaterThan(0);
  });
});
