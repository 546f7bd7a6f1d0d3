import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseWaitDuration } from './duration.js';

describe('durations', () => {
  it('parse units and parts run together, and print back the shortest form', () => {
    for (const [text, ms] of [['500ms', 500], ['10s', 10_000], ['1m30s', 90_000], ['2h', 7_200_000], ['1h30m', 5_400_000], ['7d', 604_800_000], ['0s', 0]] as const) {
      expect(parseDuration(text)).toEqual({ ok: true, value: ms });
      expect(formatDuration(ms)).toBe(text);
    }
    expect(parseDuration('2W')).toEqual({ ok: true, value: 1_209_600_000 });
    expect(parseDuration(' 90s ')).toEqual({ ok: true, value: 90_000 });
  });

  it.each(['', '5', 'h', '1 h', '-1h', '1.5h', '1y', '10 s'])('refuse %j, saying what to write', (text) => {
    const r = parseDuration(text);
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/e\.g\. "90s"/) });
  });

  it('say a bare number has no unit', () => {
    expect(parseDuration('10')).toMatchObject({ ok: false, message: expect.stringMatching(/has no unit/) });
    expect(parseDuration('10 s')).toMatchObject({ ok: false, message: expect.stringMatching(/is not a duration/) });
  });

  it('apply the limits a use asks for: waits at most a day, spans more than nothing', () => {
    expect(parseWaitDuration('25h')).toMatchObject({ ok: false, message: expect.stringMatching(/longer than 1d/) });
    expect(parseWaitDuration('24h')).toEqual({ ok: true, value: 86_400_000 });
    expect(parseDuration('0s', { positive: true })).toMatchObject({ ok: false, message: expect.stringMatching(/no time at all/) });
  });
});
