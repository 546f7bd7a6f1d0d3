// The capsule engine's side of health: a capsule's check runs while it runs (watched on
// each state change it reports, and for the runs a restarted helper reattached to), and a
// capsule turning unhealthy is handed back to the manager, whose restart policy decides.
import type { Capsule } from '../../../src-shared/capsule.js';
import type { Logger } from '../util/logger.js';
import type { CapsuleExec } from './exec-probe.js';
import { probeFor } from './guest-probe.js';
import type { GuestRef, HealthRegistry } from './health-registry.js';

export interface HealthCheckedCapsules extends CapsuleExec {
  get(name: string): Promise<Capsule>;
  list(): Promise<Capsule[]>;
  /** Restarts it when its policy says so. */
  unhealthy(name: string, reason: string): Promise<boolean>;
}

function ref(name: string): GuestRef {
  return { kind: 'capsule', name };
}

export class CapsuleHealthWatch {
  constructor(
    private readonly registry: HealthRegistry,
    private readonly capsules: () => HealthCheckedCapsules,
    private readonly logger: Logger,
  ) {}

  /** The capsule engine's change hook: checks run while `running`, and stop otherwise (paused, stopped, deleted). */
  changed(name: string, state: Capsule['state'] | 'deleted'): void {
    if (state !== 'running') {
      this.registry.unwatch(ref(name));
      return;
    }
    this.capsules()
      .get(name)
      .then((c) => this.follow(c))
      .catch((err: unknown) => this.logger.warn({ capsule: name, err }, 'could not start its health check'));
  }

  /** After recovery: the runs a restarted helper found again get their checks back. */
  async followAll(): Promise<void> {
    for (const c of await this.capsules().list()) this.follow(c);
  }

  private follow(c: Capsule): void {
    const check = c.spec.health;
    if (c.state !== 'running' || !check || !c.startedAt) {
      this.registry.unwatch(ref(c.name));
      return;
    }
    const address = c.network?.address.split('/')[0] ?? null;
    this.registry.watch(ref(c.name), {
      runId: c.startedAt,
      check,
      probe: () => probeFor(check.probe, check.timeoutMs, { exec: { capsules: this.capsules(), name: c.name }, ...(address ? { addressOf: () => Promise.resolve(address) } : {}) }),
      onUnhealthy: (h) => {
        const reason = `its health check failed ${h.failingStreak} times in a row (last: ${h.lastResult ?? 'no result'})`;
        this.capsules()
          .unhealthy(c.name, reason)
          .catch((err: unknown) => this.logger.error({ capsule: c.name, err }, 'could not restart the unhealthy capsule'));
      },
    });
  }
}
