import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('parse units and parts run together, and print back the shortest form', () => {
    for (const [text, ms] of [['500ms', 500], ['10s', 10_000], ['1m30s', 90_000], ['2h', 7_200_000], ['0s', 0]] as const) {
      expect(parseDuration(text)).toEqual({ ok: true, value: ms });
      expect(formatDuration(ms)).toBe(text);
    }
  });

  it('refuse a number without a unit, other words and more than a day', () => {
    expect(parseDuration('10')).toMatchObject({ ok: false, message: expect.stringMatching(/has no unit/) });
    expect(parseDuration('10 s')).toMatchObject({ ok: false, message: expect.stringMatching(/is not a duration/) });
    expect(parseDuration('25h')).toMatchObject({ ok: false, message: expect.stringMatching(/longer than a day/) });
  });
});
