import { describe, expect, it } from 'vitest';
import type { GuestHealth, HealthCheck } from '../../../src-shared/health.js';
import { HealthMonitor, type HealthClock } from './health-monitor.js';
import type { ProbeResult } from './health-verdict.js';

/** Timers that fire only when the test moves time on. */
class TestClock implements HealthClock {
  private t = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  /** Moves time on by `ms`, firing due timers in order and letting each probe settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    this.t = end;
  }
}

const check = (over: Partial<HealthCheck> = {}): HealthCheck => ({ probe: { kind: 'exec', command: ['true'] }, intervalMs: 1000, timeoutMs: 500, retries: 3, startPeriodMs: 0, ...over });

function setup(over: Partial<HealthCheck>, results: (ProbeResult | 'hang')[]) {
  const clock = new TestClock();
  const changes: GuestHealth[] = [];
  let calls = 0;
  const monitor = new HealthMonitor({
    check: check(over),
    clock,
    onChange: (h) => changes.push(h),
    probe: () => {
      const r = results[Math.min(calls++, results.length - 1)]!;
      return r === 'hang' ? new Promise<ProbeResult>(() => undefined) : Promise.resolve(r);
    },
  });
  monitor.start();
  return { clock, changes, monitor, calls: () => calls };
}

const pass = { ok: true, line: 'exit 0' };
const fail = { ok: false, line: 'exit 1: no such file' };

describe('HealthMonitor', () => {
  it('is starting until the first check, one interval after the start', async () => {
    const { clock, monitor, calls } = setup({}, [pass]);
    expect(monitor.health.status).toBe('starting');
    await clock.advance(999);
    expect(calls()).toBe(0);
    await clock.advance(1);
    expect(calls()).toBe(1);
    expect(monitor.health).toMatchObject({ status: 'healthy', failingStreak: 0, lastResult: 'exit 0' });
  });

  it('turns unhealthy after `retries` failures in a row, and healthy again on a pass', async () => {
    const { clock, monitor, changes } = setup({}, [pass, fail, fail, fail, pass]);
    await clock.advance(1000);
    expect(monitor.health.status).toBe('healthy');
    await clock.advance(2000);
    expect(monitor.health).toMatchObject({ status: 'healthy', failingStreak: 2, lastResult: 'exit 1: no such file' });
    await clock.advance(1000);
    expect(monitor.health).toMatchObject({ status: 'unhealthy', failingStreak: 3 });
    await clock.advance(1000);
    expect(monitor.health).toMatchObject({ status: 'healthy', failingStreak: 0 });
    // Told of each new status and of the failing streak beginning, not of every check.
    expect(changes.map((c) => `${c.status}/${c.failingStreak}`)).toEqual(['healthy/0', 'healthy/1', 'unhealthy/3', 'healthy/0']);
  });

  it('does not count failures inside the start period, but a pass there ends it', async () => {
    const { clock, monitor } = setup({ startPeriodMs: 5000, retries: 2 }, [fail, fail, fail, fail, fail, fail, fail]);
    await clock.advance(4000);
    expect(monitor.health).toMatchObject({ status: 'starting', failingStreak: 0 });
    expect(monitor.health.lastResult).toMatch(/in the start period: not counted/);
    await clock.advance(1000);
    expect(monitor.health).toMatchObject({ status: 'starting', failingStreak: 1 });
    await clock.advance(1000);
    expect(monitor.health).toMatchObject({ status: 'unhealthy', failingStreak: 2 });

    const early = setup({ startPeriodMs: 5000, retries: 1 }, [pass, fail]);
    await early.clock.advance(2000);
    expect(early.monitor.health).toMatchObject({ status: 'unhealthy', failingStreak: 1 });
  });

  it('counts a probe that outlives its timeout as a failure naming the timeout', async () => {
    const { clock, monitor } = setup({ retries: 1, timeoutMs: 250 }, ['hang']);
    await clock.advance(1250);
    expect(monitor.health).toMatchObject({ status: 'unhealthy', lastResult: 'timed out after 0.25 s' });
  });

  it('keeps to one probe at a time and stops checking once stopped', async () => {
    const { clock, monitor, calls } = setup({ timeoutMs: 5000, intervalMs: 1000 }, ['hang']);
    await clock.advance(3000);
    // The first probe hangs until its timeout: no second one starts meanwhile.
    expect(calls()).toBe(1);
    // It times out at 6 s; the next one comes an interval later.
    await clock.advance(3999);
    expect(calls()).toBe(1);
    await clock.advance(1);
    expect(calls()).toBe(2);
    monitor.stop();
    await clock.advance(20_000);
    expect(calls()).toBe(2);
  });
});
