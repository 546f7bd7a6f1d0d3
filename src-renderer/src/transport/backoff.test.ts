import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const opts = { baseMs: 250, maxMs: 10_000 };

  it('doubles per attempt between half and the full step', () => {
    expect(backoffDelay(1, opts, () => 0)).toBe(125);
    expect(backoffDelay(1, opts, () => 1)).toBe(250);
    expect(backoffDelay(3, opts, () => 0)).toBe(500);
    expect(backoffDelay(3, opts, () => 1)).toBe(1000);
  });

  it('is capped at maxMs however many attempts failed', () => {
    expect(backoffDelay(50, opts, () => 1)).toBe(10_000);
    expect(backoffDelay(50, opts, () => 0)).toBe(5_000);
  });
});
