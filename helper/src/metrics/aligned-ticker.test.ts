import { describe, expect, it } from 'vitest';
import { alignedTicker } from './aligned-ticker.js';

describe('alignedTicker', () => {
  it('fires once per interval, just after each multiple of it on the clock, until stopped', async () => {
    const fired: Array<{ start: number; at: number }> = [];
    const stop = alignedTicker(40, (start) => fired.push({ start, at: Date.now() }), 5);
    const deadline = Date.now() + 5_000;
    while (fired.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    stop();
    const count = fired.length;
    expect(count).toBeGreaterThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 100));
    expect(fired.length).toBe(count);
    for (const [i, f] of fired.entries()) {
      expect(f.start % 40).toBe(0);
      // In the interval it names: timers may fire a millisecond early, never a whole offset.
      expect(f.at).toBeGreaterThanOrEqual(f.start);
      // Each interval named once, in order (a late timer may skip one, never repeat one).
      if (i > 0) expect(f.start).toBeGreaterThan(fired[i - 1]?.start ?? 0);
    }
  });
});
