import { describe, expect, it } from 'vitest';
import { clockText, restoreLossSentence } from './confirm-words.js';

describe('restoreLossSentence', () => {
  const now = new Date('2026-12-06T15:00:00');
  it('names the time and the running state of a live VM', () => {
    const at = new Date('2026-12-06T12:04:00').toISOString();
    const time = clockText(at, now);
    expect(time).toMatch(/12:04/);
    expect(restoreLossSentence({ createdAt: at, withMemory: true }, true, now)).toMatch(new RegExp(`^All changes since ${time}, including the running state, will be lost\\.`));
  });

  it('leaves the running state out for a stopped VM, dates another day, and says it stays stopped', () => {
    const text = restoreLossSentence({ createdAt: new Date('2026-12-03T09:30:00').toISOString(), withMemory: false }, false, now);
    expect(text).not.toContain('running state');
    expect(text).toMatch(/3/);
    expect(text).toContain('left stopped');
  });
});
