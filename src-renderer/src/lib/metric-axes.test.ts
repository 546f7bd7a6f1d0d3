import { describe, expect, it } from 'vitest';
import { cpuAxis, liveTimeAxis, RANGE_SPAN_MS, timeAxis } from './metric-axes.js';

describe('metric axes', () => {
  it('span the whole range, ending at the newest point, with clock-time labels', () => {
    const end = new Date(2026, 11, 6, 14, 5, 30).getTime();
    const axis = timeAxis('1m', [{ t: end - 5_000 }, { t: end }]);
    expect(axis.domain).toEqual([end - 60_000, end]);
    expect(axis.ticks).toHaveLength(5);
    expect(axis.ticks.at(-1)).toBe(end);
    expect(axis.format(end)).toMatch(/14.05.30/);
    expect(timeAxis('1h', [{ t: end }]).format(end)).toMatch(/14.05/);
    expect(timeAxis('1h', [{ t: end }]).domain[0]).toBe(end - RANGE_SPAN_MS['1h']);
  });

  it('end at now when there is no point yet', () => {
    expect(timeAxis('1d', [], 1_000_000_000).domain).toEqual([1_000_000_000 - 86_400_000, 1_000_000_000]);
  });

  it('cover live samples from the first to the newest', () => {
    expect(liveTimeAxis([{ t: 10_000 }, { t: 25_000 }]).domain).toEqual([10_000, 25_000]);
  });

  it('end CPU at 100 % per core, a fractional limit counting its whole core', () => {
    expect(cpuAxis(1)).toEqual({ domain: [0, 100], ticks: [0, 25, 50, 75, 100] });
    expect(cpuAxis(2).domain).toEqual([0, 200]);
    expect(cpuAxis(0.5).domain).toEqual([0, 100]);
    expect(cpuAxis(0).domain).toEqual([0, 100]);
  });
});
