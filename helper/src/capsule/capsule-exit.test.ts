// The pure rules of the capsule lifecycle: how a run's end is named, when the restart
// policy starts the capsule again, and how long it waits first.
import { describe, expect, it } from 'vitest';
import { CapsuleSpecSchema, parseRestartPolicy, type CapsuleExit } from '../../../src-shared/capsule.js';
import { exitFromRunEnd, restartDelayMs, shouldRestart } from './capsule-exit.js';

const at = '2026-01-01T00:00:00.000Z';
const base = { started: true, signal: null, oomKilled: false, at, runtimeError: null };

describe('exitFromRunEnd', () => {
  it('names exits, signals (conmon reports 128 + N), OOM kills, stops and start failures', () => {
    expect(exitFromRunEnd({ ...base, exitCode: 0 }, false)).toEqual({ exitCode: 0, signal: null, reason: 'exited', at });
    expect(exitFromRunEnd({ ...base, exitCode: 137 }, false)).toEqual({ exitCode: 137, signal: 'SIGKILL', reason: 'signaled', at });
    expect(exitFromRunEnd({ ...base, exitCode: 137, oomKilled: true }, false).reason).toBe('oom-killed');
    expect(exitFromRunEnd({ ...base, exitCode: 143 }, true)).toEqual({ exitCode: 143, signal: 'SIGTERM', reason: 'stopped', at });
    expect(exitFromRunEnd({ ...base, started: false, exitCode: 1, runtimeError: 'no such file' }, false)).toMatchObject({ reason: 'start-failed', message: 'no such file' });
  });

  it('calls a run that ended on its own before the stop was asked "exited", not "stopped"', () => {
    const asked = Date.parse(at);
    // Ended 5 ms before the stop request: the stop found it already gone.
    expect(exitFromRunEnd({ ...base, exitCode: 0, at: new Date(asked - 5).toISOString() }, true, asked).reason).toBe('exited');
    expect(exitFromRunEnd({ ...base, exitCode: 2, at: new Date(asked - 5).toISOString() }, true, asked).reason).toBe('exited');
    // Ended at or after the request: the stop did it.
    expect(exitFromRunEnd({ ...base, exitCode: 143, at }, true, asked).reason).toBe('stopped');
    expect(exitFromRunEnd({ ...base, exitCode: 137, at: new Date(asked + 900).toISOString() }, true, asked).reason).toBe('stopped');
    // Without a known request time (a restarted helper), a requested stop is a stop.
    expect(exitFromRunEnd({ ...base, exitCode: 0 }, true, null).reason).toBe('stopped');
  });
});

describe('restart backoff', () => {
  it('doubles from the first delay and stops at 10 s', () => {
    expect([0, 1, 2, 3].map((n) => restartDelayMs(100, n))).toEqual([100, 200, 400, 800]);
    expect(restartDelayMs(100, 7)).toBe(10_000);
    expect(restartDelayMs(100, 5000)).toBe(10_000);
  });
});

describe('shouldRestart', () => {
  const spec = (restart: string) => CapsuleSpecSchema.parse({ name: 'a', image: 'b', restart: parseRestartPolicy(restart) });
  const exit = (exitCode: number, reason: CapsuleExit['reason'] = 'exited'): CapsuleExit => ({ exitCode, signal: null, reason, at });
  it('follows no / always / on-failure[:N]', () => {
    expect(shouldRestart(spec('no'), exit(1), 0)).toBe(false);
    expect(shouldRestart(spec('always'), exit(0), 50)).toBe(true);
    expect(shouldRestart(spec('on-failure'), exit(0), 0)).toBe(false);
    expect(shouldRestart(spec('on-failure'), exit(1), 500)).toBe(true);
    expect(shouldRestart(spec('on-failure:3'), exit(1), 2)).toBe(true);
    expect(shouldRestart(spec('on-failure:3'), exit(1), 3)).toBe(false);
    expect(shouldRestart(spec('always'), exit(143, 'stopped'), 0)).toBe(false);
    expect(shouldRestart(spec('always'), exit(1, 'start-failed'), 0)).toBe(false);
  });
  it('parses policies as Docker writes them', () => {
    expect(parseRestartPolicy('on-failure:3')).toEqual({ mode: 'on-failure', maxRetries: 3 });
    expect(parseRestartPolicy('on-failure:0')).toBeNull();
    expect(parseRestartPolicy('sometimes')).toBeNull();
  });
});
