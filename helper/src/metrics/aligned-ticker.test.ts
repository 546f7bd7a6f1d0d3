import { describe, expect, it } from 'vitest';
import { alignedTicker } from './aligned-ticker.js';

describe('alignedTicker', () => {
  it('fires once per interval, just after each multiple of it on the clock', async () => {
    const fired: Array<{ start: number; at: number }> = [];
    const stop = alignedTicker(40, (start) => fired.push({ start, at: Date.now() }), 5);
    await new Promise((r) => setTimeout(r, 300));
    stop();
    const count = fired.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(fired.length).toBe(count);
    expect(count).toBeGreaterThanOrEqual(4);
    for (const [i, f] of fired.entries()) {
      expect(f.start % 40).toBe(0);
      expect(f.at).toBeGreaterThanOrEqual(f.start + 5);
      // One call per interval: no start is skipped or repeated while the loop is not starved.
      if (i > 0) expect(f.start - (fired[i - 1]?.start ?? 0)).toBeGreaterThanOrEqual(40);
    }
  });
});
