import { describe, expect, it } from 'vitest';
import type { GuestHealth, HealthCheck } from '../../../src-shared/health.js';
import type { HealthClock } from './health-monitor.js';
import { HealthRegistry, type GuestRef } from './health-registry.js';

const check: HealthCheck = { probe: { kind: 'exec', command: ['true'] }, intervalMs: 1000, timeoutMs: 500, retries: 1, startPeriodMs: 0 };
const db: GuestRef = { kind: 'capsule', name: 'nv9h-db' };

/** Timers kept for the test to fire by hand. */
function manualClock(): HealthClock & { fire(): Promise<void> } {
  let pending: (() => void)[] = [];
  return {
    now: () => 0,
    setTimeout: (fn) => {
      pending.push(fn);
      return fn;
    },
    clearTimeout: (h) => {
      pending = pending.filter((f) => f !== h);
    },
    async fire() {
      const due = pending;
      pending = [];
      for (const f of due) f();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
}

describe('HealthRegistry', () => {
  it('keeps one monitor per run, starts afresh for a new run, and tells of each change', async () => {
    const clock = manualClock();
    const seen: [string, GuestHealth | null][] = [];
    const unhealthy: string[] = [];
    const registry = new HealthRegistry({ clock, onChange: (g, h) => seen.push([`${g.kind}/${g.name}`, h]) });
    let probes = 0;
    const spec = (runId: string) => ({
      runId,
      check,
      probe: () => {
        probes++;
        return () => Promise.resolve({ ok: false, line: 'exit 1' });
      },
      onUnhealthy: () => unhealthy.push(runId),
    });
    registry.watch(db, spec('run-1'));
    registry.watch(db, spec('run-1'));
    expect(probes).toBe(1);
    expect(registry.health(db)?.status).toBe('starting');
    await clock.fire();
    expect(registry.health(db)?.status).toBe('unhealthy');
    expect(unhealthy).toEqual(['run-1']);
    registry.watch(db, spec('run-2'));
    expect(probes).toBe(2);
    expect(registry.health(db)?.status).toBe('starting');
    registry.unwatch(db);
    expect(registry.health(db)).toBeNull();
    expect(seen.map(([g, h]) => `${g}:${h?.status ?? 'none'}`)).toEqual(['capsule/nv9h-db:starting', 'capsule/nv9h-db:unhealthy', 'capsule/nv9h-db:starting', 'capsule/nv9h-db:none']);
    expect(registry.health({ kind: 'vm', name: 'nv9h-db' })).toBeNull();
  });
});
