// Bounds how many polkit checks run at once, per calling user and in all, so one
// user's flood of connections cannot fork thousands of pkcheck processes or starve
// everyone else's checks. Waiting is bounded too, in number and in time; a check that
// cannot be queued is refused as `unavailable` (a denial: the caller may retry).
import { NovaError } from '../../../src-shared/errors.js';

export interface CheckLimits {
  /** Checks running at once for one uid. */
  perCaller: number;
  /** Checks running at once in all. */
  overall: number;
  /** Checks one uid may have waiting for a slot; more are refused at once. */
  waitingPerCaller: number;
  /** How long a check may wait for a slot. */
  maxWaitMs: number;
}

export const DEFAULT_CHECK_LIMITS: CheckLimits = { perCaller: 2, overall: 4, waitingPerCaller: 16, maxWaitMs: 30_000 };

interface Waiter {
  uid: number;
  start: () => void;
  timer: NodeJS.Timeout;
}

export class CheckLimiter {
  private running = 0;
  private readonly runningByUid = new Map<number, number>();
  private readonly waitingByUid = new Map<number, number>();
  /** Oldest first, across uids: a freed slot goes to the oldest waiter it may serve. */
  private readonly waiters: Waiter[] = [];

  constructor(private readonly limits: CheckLimits = DEFAULT_CHECK_LIMITS) {}

  async run<T>(uid: number, check: () => Promise<T>): Promise<T> {
    // A waiter is handed its slot already taken, so no newcomer can slip in between.
    if (this.mayStart(uid)) this.take(uid);
    else await this.wait(uid);
    try {
      return await check();
    } finally {
      this.release(uid);
      this.startWaiters();
    }
  }

  /** Checks running now (for tests and logs). */
  get active(): number {
    return this.running;
  }

  private mayStart(uid: number): boolean {
    return this.running < this.limits.overall && (this.runningByUid.get(uid) ?? 0) < this.limits.perCaller;
  }

  private wait(uid: number): Promise<void> {
    const waiting = this.waitingByUid.get(uid) ?? 0;
    if (waiting >= this.limits.waitingPerCaller) {
      return Promise.reject(busy(uid, `${waiting} authorization checks are already waiting for this user`));
    }
    this.waitingByUid.set(uid, waiting + 1);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        uid,
        start: () => {
          this.leaveQueue(waiter);
          resolve();
        },
        timer: setTimeout(() => {
          this.leaveQueue(waiter);
          reject(busy(uid, `no authorization check could start within ${this.limits.maxWaitMs} ms`));
        }, this.limits.maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  private leaveQueue(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    const i = this.waiters.indexOf(waiter);
    if (i !== -1) this.waiters.splice(i, 1);
    const left = (this.waitingByUid.get(waiter.uid) ?? 1) - 1;
    if (left === 0) this.waitingByUid.delete(waiter.uid);
    else this.waitingByUid.set(waiter.uid, left);
  }

  private take(uid: number): void {
    this.running++;
    this.runningByUid.set(uid, (this.runningByUid.get(uid) ?? 0) + 1);
  }

  private release(uid: number): void {
    this.running--;
    const left = (this.runningByUid.get(uid) ?? 1) - 1;
    if (left === 0) this.runningByUid.delete(uid);
    else this.runningByUid.set(uid, left);
  }

  private startWaiters(): void {
    for (let next = this.nextWaiter(); next; next = this.nextWaiter()) {
      this.take(next.uid);
      next.start();
    }
  }

  private nextWaiter(): Waiter | undefined {
    return this.waiters.find((w) => this.mayStart(w.uid));
  }
}

function busy(uid: number, why: string): NovaError {
  return new NovaError('unavailable', `The helper is busy checking authorizations for uid ${uid}: ${why}; try again`, { uid });
}
