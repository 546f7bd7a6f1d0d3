// How a capsule's run ended, in the words the API uses, and what the restart policy does
// about it. Pure rules: the monitor's files are read in capsule-monitor.ts.
import type { CapsuleExit, CapsuleSpec } from '../../../src-shared/capsule.js';

/** What the monitor tells of a run's end, whatever monitor ran it. */
export interface RunEnd {
  /** The exit status; 128 + N for a process killed by signal N when only that is known. */
  exitCode: number | null;
  /** `SIGKILL`, when the monitor names the signal itself. */
  signal: string | null;
  oomKilled: boolean;
  /** When the run ended (ISO 8601). */
  at: string;
  /** False when the runtime never started the container. */
  started: boolean;
  /** The runtime's own complaint when the container could not start. */
  runtimeError: string | null;
}

const SIGNALS: Record<number, string> = { 1: 'HUP', 2: 'INT', 3: 'QUIT', 6: 'ABRT', 9: 'KILL', 11: 'SEGV', 13: 'PIPE', 14: 'ALRM', 15: 'TERM' };

function signalName(n: number): string {
  return SIGNALS[n] ?? String(n);
}

/**
 * Docker's exit reason rules, plus OOM from the cgroup and the stop the user asked for.
 * `stopRequestedAt` (ms) is when that stop was asked: a run that had already ended on its
 * own by then exited, whatever the stop found when it came (the race behind an `exited`
 * run once reported as `stopped`).
 */
export function exitFromRunEnd(e: RunEnd, stopRequested: boolean, stopRequestedAt: number | null = null): CapsuleExit {
  const signalFromCode = e.exitCode !== null && e.exitCode > 128 ? e.exitCode - 128 : null;
  const signal = e.signal ?? (signalFromCode ? `SIG${signalName(signalFromCode)}` : null);
  if (!e.started) return { exitCode: e.exitCode, signal: null, reason: 'start-failed', at: e.at, message: e.runtimeError ?? undefined };
  if (e.oomKilled) return { exitCode: e.exitCode, signal, reason: 'oom-killed', at: e.at, message: 'killed by the kernel: out of memory (the memory limit was reached)' };
  const endedBeforeStop = stopRequestedAt !== null && Date.parse(e.at) < stopRequestedAt;
  if (stopRequested && !endedBeforeStop) return { exitCode: e.exitCode, signal, reason: 'stopped', at: e.at };
  if (signal) return { exitCode: e.exitCode, signal, reason: 'signaled', at: e.at };
  return { exitCode: e.exitCode, signal: null, reason: 'exited', at: e.at };
}

/** Whether the policy restarts after this exit, given restarts already made. */
export function shouldRestart(spec: CapsuleSpec, exit: CapsuleExit, restartCount: number): boolean {
  if (exit.reason === 'stopped' || exit.reason === 'start-failed') return false;
  const p = spec.restart;
  if (p.mode === 'always') return true;
  if (p.mode === 'on-failure') return exit.exitCode !== 0 && (p.maxRetries === null || restartCount < p.maxRetries);
  return false;
}

/** The wait before restart number `restartCount + 1`: doubled each time, at most 10 s. */
export function restartDelayMs(firstMs: number, restartCount: number): number {
  return Math.min(10_000, firstMs * 2 ** Math.min(restartCount, 10));
}

/** What a run that ended with no word from its monitor (killed by hand) is recorded as. */
export function lostRun(monitor: string): CapsuleExit {
  return { exitCode: null, signal: null, reason: 'lost', at: new Date().toISOString(), message: `the capsule monitor (${monitor}) was killed; the container was stopped` };
}
