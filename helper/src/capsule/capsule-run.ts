// One run of a capsule, from its start to its reap: the monitor process that watches it,
// the watch on its run dir (and a slow poll, should an event be missed), those waiting
// for its end, when a stop was asked, and its reap, done once whoever sees the end first.
// The capsule manager keeps one per running capsule; a restarted helper makes a new one
// from the record it finds (the run's monitor outlives helpers).
import { watch, type FSWatcher } from 'node:fs';
import type { RunEnd } from './capsule-exit.js';
import type { CapsulePaths } from './capsule-layout.js';
import type { CapsuleMonitor } from './capsule-monitor.js';
import { isMonitorAlive } from './capsule-monitor.js';
import type { RunRecord } from './capsule-record.js';

const POLL_MS = 1_000;

export interface RunHooks {
  /** The run has ended (`end` null: its monitor died without a word); called until the reap starts. */
  ended(run: CapsuleRun, end: RunEnd | null): void;
  /** Every poll while it runs (log rotation). */
  tick?(run: CapsuleRun): void;
}

export class CapsuleRun {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly waiters = new Set<() => void>();
  private over = false;
  /** When the user last asked for a stop (ms), to tell a stop from an exit that raced it. */
  stopRequestedAt: number | null = null;
  /** A stop holds the capsule's lock: the reap it causes runs under that lock too. */
  stopping = false;
  /** The reap under way: a second caller waits for all of it (its unmount comes after the record). */
  reaping: Promise<void> | null = null;
  /** Ends a graceful stop's wait for the exit at once (a forced stop came); null while none waits. */
  private cutShort: (() => void) | null = null;
  /** A forced stop came while a graceful one was under way: no more waiting for this run. */
  private forced = false;

  constructor(
    readonly name: string,
    /** The run as recorded in capsule.json (the same object: changes are saved with the record). */
    readonly record: RunRecord,
    readonly paths: CapsulePaths,
    readonly cgroupsPath: string,
    private readonly monitor: CapsuleMonitor,
  ) {}

  /** Whether the end was seen (the exit waiters were told). */
  get ended(): boolean {
    return this.over;
  }

  /** Watches for the end: conmon's exit file appearing (exit.json for a former shim's run). */
  watch(hooks: RunHooks): void {
    if (this.timer) return;
    const exitName = this.record.monitor === 'conmon' ? 'exit' : 'exit.json';
    const check = () => void this.check(hooks);
    try {
      this.watcher = watch(this.paths.run, (_e, file) => {
        if (file === exitName) check();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = null;
    }
    this.timer = setInterval(() => {
      hooks.tick?.(this);
      check();
    }, POLL_MS);
    check();
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The end the monitor recorded, or null while none is. */
  readEnd(): Promise<RunEnd | null> {
    return this.monitor.readEnd(this.record.monitor, this.paths, this.cgroupsPath);
  }

  monitorAlive(): boolean {
    return isMonitorAlive(this.record.monitorPid, this.record.monitorStart);
  }

  private async check(hooks: RunHooks): Promise<void> {
    if (this.reaping) return;
    const end = await this.readEnd();
    if (!end && this.monitorAlive()) return;
    if (!this.reaping) hooks.ended(this, end);
  }

  /** Tells every waiter the run is over (before its record is saved: see the reap). */
  markEnded(): void {
    this.over = true;
    this.unwatch();
    for (const w of [...this.waiters]) w();
  }

  /**
   * A graceful stop's wait: true when the run ends, false after timeoutMs or as soon as
   * forceNow() cuts it short, so a "Kill" need not queue behind the grace period.
   */
  waitForEndOrForce(timeoutMs: number): Promise<boolean> {
    if (this.forced) return Promise.resolve(this.over);
    return new Promise<boolean>((resolve) => {
      this.cutShort = () => resolve(false);
      void this.waitForEnd(timeoutMs).then(resolve);
    }).finally(() => {
      this.cutShort = null;
    });
  }

  /** Cuts the wait of a stop under way short (or the one it is about to begin); false when no stop is under way. */
  forceNow(): boolean {
    if (!this.stopping) return false;
    this.forced = true;
    this.cutShort?.();
    return true;
  }

  /** Resolves true when the run has ended, false after timeoutMs. */
  waitForEnd(timeoutMs: number): Promise<boolean> {
    if (this.over) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(done);
    });
  }
}
