// One running guest's health check: a probe every `intervalMs` (the next one scheduled when
// the last one ended, so slow probes never pile up), each cut at `timeoutMs`, the verdict
// from health-verdict.ts. The clock is injected so tests drive the timers.
import type { GuestHealth, HealthCheck } from '../../../src-shared/health.js';
import { healthNews, initialHealth, nextHealth, type ProbeResult } from './health-verdict.js';

/** A check of the guest; it should stop when `signal` aborts (the timeout, or the monitor stopping). */
export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;

export interface HealthClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: HealthClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface HealthMonitorOptions {
  check: HealthCheck;
  probe: Probe;
  /** Told of a new status, or of a failing streak that began or ended. */
  onChange: (health: GuestHealth) => void;
  clock?: HealthClock;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export class HealthMonitor {
  private readonly clock: HealthClock;
  private state: GuestHealth;
  private readonly startedMs: number;
  private timer: unknown = null;
  private inFlight: AbortController | null = null;
  private stopped = false;

  constructor(private readonly o: HealthMonitorOptions) {
    this.clock = o.clock ?? systemClock;
    this.startedMs = this.clock.now();
    this.state = initialHealth(this.startedMs);
  }

  get health(): GuestHealth {
    return this.state;
  }

  /** The first check comes one interval after the start, as Docker's does. */
  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.inFlight?.abort();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.checkOnce();
    }, this.o.check.intervalMs);
  }

  private async checkOnce(): Promise<void> {
    const controller = new AbortController();
    this.inFlight = controller;
    const timeoutMs = this.o.check.timeoutMs;
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const aborted = new Promise<ProbeResult>((resolve) => {
      controller.signal.addEventListener('abort', () => resolve({ ok: false, line: 'aborted' }), { once: true });
    });
    let result: ProbeResult;
    try {
      result = await Promise.race([this.o.probe(controller.signal), aborted]);
    } catch (err) {
      result = { ok: false, line: err instanceof Error ? err.message : String(err) };
    } finally {
      this.clock.clearTimeout(timer);
      this.inFlight = null;
    }
    if (this.stopped) return;
    if (timedOut) result = { ok: false, line: `timed out after ${seconds(timeoutMs)}` };
    const prev = this.state;
    this.state = nextHealth(prev, this.o.check, result, this.clock.now(), this.startedMs);
    if (healthNews(prev, this.state)) this.o.onChange(this.state);
    this.schedule();
  }
}
