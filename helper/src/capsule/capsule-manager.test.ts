// The pure rules of the capsule lifecycle: how a run's end is named, and when the
// restart policy starts the capsule again.
import { describe, expect, it } from 'vitest';
import { CapsuleSpecSchema, parseRestartPolicy, type CapsuleExit } from '../../../src-shared/capsule.js';
import { exitFromShim, shouldRestart } from './capsule-manager.js';

const at = '2026-01-01T00:00:00.000Z';
const base = { started: true, signal: null, oomKilled: false, at, runtimeError: null };

describe('exitFromShim', () => {
  it('names exits, signals, OOM kills, stops and start failures', () => {
    expect(exitFromShim({ ...base, exitCode: 0 }, false)).toEqual({ exitCode: 0, signal: null, reason: 'exited', at });
    expect(exitFromShim({ ...base, exitCode: 137 }, false)).toEqual({ exitCode: 137, signal: 'SIGKILL', reason: 'signaled', at });
    expect(exitFromShim({ ...base, exitCode: 137, oomKilled: true }, false).reason).toBe('oom-killed');
    expect(exitFromShim({ ...base, exitCode: 143 }, true)).toEqual({ exitCode: 143, signal: 'SIGTERM', reason: 'stopped', at });
    expect(exitFromShim({ ...base, started: false, exitCode: 1, runtimeError: 'no such file' }, false)).toMatchObject({ reason: 'start-failed', message: 'no such file' });
  });

  it('calls a run that ended on its own before the stop was asked "exited", not "stopped"', () => {
    const asked = Date.parse(at);
    // Ended 5 ms before the stop request: the stop found it already gone.
    expect(exitFromShim({ ...base, exitCode: 0, at: new Date(asked - 5).toISOString() }, true, asked).reason).toBe('exited');
    expect(exitFromShim({ ...base, exitCode: 2, at: new Date(asked - 5).toISOString() }, true, asked).reason).toBe('exited');
    // Ended at or after the request: the stop did it.
    expect(exitFromShim({ ...base, exitCode: 143, at }, true, asked).reason).toBe('stopped');
    expect(exitFromShim({ ...base, exitCode: 137, at: new Date(asked + 900).toISOString() }, true, asked).reason).toBe('stopped');
    // Without a known request time (a restarted helper), a requested stop is a stop.
    expect(exitFromShim({ ...base, exitCode: 0 }, true, null).reason).toBe('stopped');
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
