// Every running guest's health monitor, VMs and capsules alike, by resource: the engines'
// start and stop hooks (capsule-health.ts, vm-health.ts) watch and unwatch here, list and
// get read the verdicts, and each change goes out as one event shape for both kinds.
import type { GuestHealth, HealthCheck } from '../../../src-shared/health.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import { HealthMonitor, type HealthClock, type Probe } from './health-monitor.js';

export type GuestRef = ResourceRef & { kind: 'vm' | 'capsule' };

export interface HealthRegistryOptions {
  /** A guest's verdict changed; null once its checks stopped. */
  onChange: (guest: GuestRef, health: GuestHealth | null) => void;
  clock?: HealthClock;
}

export interface WatchSpec {
  /** Tells one run from the next (its start time): a new run starts its checks afresh. */
  runId: string;
  check: HealthCheck;
  /** Made once per run, so a probe may keep what it read (the serial console's offset). */
  probe: () => Probe;
  /** The run turned unhealthy (capsules restart on it under their policy). */
  onUnhealthy?: (health: GuestHealth) => void;
}

interface Watched {
  runId: string;
  checkKey: string;
  monitor: HealthMonitor;
}

function keyOf(guest: GuestRef): string {
  return `${guest.kind}/${guest.name}`;
}

export class HealthRegistry {
  private readonly watched = new Map<string, Watched>();
  private closed = false;

  constructor(private readonly o: HealthRegistryOptions) {}

  /** Starts checking the guest's run; the same run with the same check keeps its monitor. */
  watch(guest: GuestRef, spec: WatchSpec): void {
    if (this.closed) return;
    const key = keyOf(guest);
    const checkKey = JSON.stringify(spec.check);
    const known = this.watched.get(key);
    if (known && known.runId === spec.runId && known.checkKey === checkKey) return;
    known?.monitor.stop();
    const monitor: HealthMonitor = new HealthMonitor({
      check: spec.check,
      probe: spec.probe(),
      ...(this.o.clock ? { clock: this.o.clock } : {}),
      onChange: (health) => {
        if (this.watched.get(key)?.monitor !== monitor) return;
        this.o.onChange(guest, health);
        if (health.status === 'unhealthy') spec.onUnhealthy?.(health);
      },
    });
    this.watched.set(key, { runId: spec.runId, checkKey, monitor });
    monitor.start();
    this.o.onChange(guest, monitor.health);
  }

  unwatch(guest: GuestRef): void {
    const key = keyOf(guest);
    const known = this.watched.get(key);
    if (!known) return;
    known.monitor.stop();
    this.watched.delete(key);
    this.o.onChange(guest, null);
  }

  health(guest: GuestRef): GuestHealth | null {
    return this.watched.get(keyOf(guest))?.monitor.health ?? null;
  }

  /** The helper stops: no more checks (they start again when the next helper reattaches). */
  close(): void {
    this.closed = true;
    for (const w of this.watched.values()) w.monitor.stop();
    this.watched.clear();
  }
}
