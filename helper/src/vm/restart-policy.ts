// A VM's restart policy after its QEMU ended: whether this end is one to undo, and when
// the next try starts. Tries back off (1 s, 2 s, 4 s ... up to a minute) so a guest that
// dies at once does not spin the host, and a run that lasted a while starts the count
// again. A stop, suspend or delete by a user is never undone: it cancels a waiting try.
import type { VmRestartPolicy } from '../../../src-shared/vm-lifecycle.js';
import type { Logger } from '../util/logger.js';

/** How QEMU's run ended: asked for (stop, suspend, delete), the guest powering itself off, or neither. */
export type VmEnd = 'requested' | 'guest-shutdown' | 'crash';

export function shouldRestart(policy: VmRestartPolicy | undefined, end: VmEnd): boolean {
  if (end === 'requested') return false;
  if (policy === 'always') return true;
  return policy === 'on-crash' && end === 'crash';
}

export interface RestartTiming {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A run at least this long resets the back-off. */
  stableRunMs: number;
  /** Tries in a row (each run shorter than stableRunMs) before giving up. */
  maxTries: number;
}

export const DEFAULT_RESTART_TIMING: RestartTiming = { firstDelayMs: 1_000, maxDelayMs: 60_000, stableRunMs: 60_000, maxTries: 10 };

/** The wait before try number `tries` (1-based). */
export function backoffDelayMs(tries: number, t: RestartTiming): number {
  return Math.min(t.maxDelayMs, t.firstDelayMs * 2 ** Math.max(0, tries - 1));
}

export interface RestartScheduled {
  delayMs: number;
  tries: number;
}

export class RestartScheduler {
  private readonly waiting = new Map<string, NodeJS.Timeout>();
  private readonly tries = new Map<string, number>();

  constructor(
    private readonly start: (name: string) => Promise<void>,
    private readonly logger: Logger,
    private readonly onGaveUp: (name: string, reason: string) => void,
    private readonly timing: RestartTiming = DEFAULT_RESTART_TIMING,
  ) {}

  /** Called when a VM's QEMU ended; returns the try scheduled, or null when the policy leaves it ended. */
  ended(name: string, policy: VmRestartPolicy | undefined, end: VmEnd, ranForMs: number): RestartScheduled | null {
    this.cancel(name, { keepCount: true });
    if (!shouldRestart(policy, end)) {
      this.tries.delete(name);
      return null;
    }
    const tries = ranForMs >= this.timing.stableRunMs ? 1 : (this.tries.get(name) ?? 0) + 1;
    if (tries > this.timing.maxTries) {
      this.tries.delete(name);
      this.onGaveUp(name, `restart policy ${policy ?? 'no'}: gave up after ${this.timing.maxTries} restarts in a row that each ran under ${Math.round(this.timing.stableRunMs / 1000)} s`);
      return null;
    }
    this.tries.set(name, tries);
    const delayMs = backoffDelayMs(tries, this.timing);
    this.logger.info({ vm: name, end, tries, delayMs }, 'restart policy: starting the VM again');
    this.waiting.set(
      name,
      setTimeout(() => {
        this.waiting.delete(name);
        // A failed start is an end too: the manager reports it, and the next try follows.
        this.start(name).catch((err: unknown) => {
          this.logger.warn({ vm: name, err }, 'restart policy: the start failed');
          this.ended(name, policy, 'crash', 0);
        });
      }, delayMs),
    );
    return { delayMs, tries };
  }

  /** A user's stop, suspend or delete: no try waits any more. */
  cancel(name: string, opts: { keepCount?: boolean } = {}): void {
    const timer = this.waiting.get(name);
    if (timer) clearTimeout(timer);
    this.waiting.delete(name);
    if (!opts.keepCount) this.tries.delete(name);
  }

  isWaiting(name: string): boolean {
    return this.waiting.has(name);
  }

  dispose(): void {
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }
}
