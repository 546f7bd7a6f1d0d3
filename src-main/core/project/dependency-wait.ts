// Waiting for a dependency's condition before its dependent starts: `started` (running),
// `healthy` (the helper's probe says so) or `completed` (exited 0). Each wait is
// bounded: a health check by its own budget (start period, then enough intervals for
// `retries` verdicts), `completed` by a fixed bound; the error names the bound.
import type { DependencyCondition, GuestHealth, HealthCheck } from '../../../src-shared/health.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { GuestKind } from './apply-order.js';
import type { ProjectHelper } from './project-helper.js';

export interface WaitTarget {
  kind: GuestKind;
  name: string;
  condition: DependencyCondition;
  /** The file's check for `healthy` (its budget bounds the wait). */
  health?: HealthCheck;
}

export interface WaitOptions {
  signal: AbortSignal;
  pollMs?: number;
  /** The bound on `completed` and on `healthy` when the check gives none. */
  boundMs?: number;
  now?: () => number;
}

interface Seen {
  running: boolean;
  /** Exit code of a guest that has stopped after running, else null. */
  exited: { code: number | null; why: string } | null;
  health: GuestHealth | null;
}

const DEFAULT_BOUND_MS = 300_000;

/** How long a check may take to give its first healthy verdict: the start period, then `retries` rounds, plus one round of slack. */
export function healthBudgetMs(check: HealthCheck): number {
  return check.startPeriodMs + (check.retries + 1) * (check.intervalMs + check.timeoutMs);
}

export async function waitForCondition(h: ProjectHelper, t: WaitTarget, opts: WaitOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const bound = t.condition === 'healthy' && t.health ? healthBudgetMs(t.health) : (opts.boundMs ?? DEFAULT_BOUND_MS);
  const deadline = now() + bound;
  const pollMs = opts.pollMs ?? 200;
  let last: Seen | null = null;
  for (;;) {
    if (opts.signal.aborted) throw new NovaError('cancelled', `waiting for ${t.kind} ${t.name} was cancelled`);
    const seen = await look(h, t);
    last = seen;
    const verdict = judge(t, seen);
    if (verdict === 'met') return;
    if (verdict !== 'pending') throw new NovaError('failed_precondition', verdict);
    if (now() >= deadline) throw new NovaError('timeout', timeoutMessage(t, bound, last));
    await sleep(pollMs, opts.signal);
  }
}

async function look(h: ProjectHelper, t: WaitTarget): Promise<Seen> {
  if (t.kind === 'vm') {
    const vm = await h.call('vm.get', { name: t.name });
    const running = vm.state === 'running';
    const exited = vm.state === 'stopped' || vm.state === 'crashed' ? { code: vm.state === 'stopped' ? 0 : null, why: vm.stateReason ?? vm.state } : null;
    return { running, exited, health: vm.health };
  }
  const c = await h.call('capsule.get', { name: t.name });
  const running = c.state === 'running';
  const exited = c.state === 'stopped' && c.lastExit ? { code: c.lastExit.exitCode, why: c.lastExit.message ?? c.lastExit.reason } : null;
  return { running, exited, health: c.health };
}

/** 'met', 'pending', or why the condition can no longer be met. */
function judge(t: WaitTarget, s: Seen): 'met' | 'pending' | string {
  const who = `${t.kind} ${t.name}`;
  switch (t.condition) {
    case 'started':
      if (s.running) return 'met';
      if (s.exited) return s.exited.code === 0 ? 'met' : `${who} stopped (${describeExit(s.exited)})`;
      return 'pending';
    case 'completed':
      if (s.exited) return s.exited.code === 0 ? 'met' : `${who} did not complete: ${describeExit(s.exited)}`;
      return 'pending';
    case 'healthy':
      if (s.running && s.health?.status === 'healthy') return 'met';
      if (!s.running && s.exited) return `${who} stopped before it was healthy (${describeExit(s.exited)})`;
      return 'pending';
  }
}

function describeExit(e: { code: number | null; why: string }): string {
  return e.code === null ? e.why : `exit code ${e.code}${e.why && e.why !== 'exited' ? `, ${e.why}` : ''}`;
}

function timeoutMessage(t: WaitTarget, bound: number, last: Seen | null): string {
  const secs = `${Math.round(bound / 100) / 10} s`;
  const who = `${t.kind} ${t.name}`;
  if (t.condition === 'healthy') {
    const h = last?.health;
    const state = h ? `${h.status}${h.lastResult ? `, last check: ${h.lastResult}` : ''}` : last?.running ? 'no health reported' : 'not running';
    const why = t.health ? "the health check's budget (start period + (retries + 1) x (interval + timeout))" : 'the bound';
    return `${who} was not healthy within ${secs}, ${why} (${state})`;
  }
  return `${who} did not reach "${t.condition}" within ${secs}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
