// The life of a capsule's runs after they start: stopping one (SIGTERM, then SIGKILL),
// reaping it once its end is seen (the exit recorded, the container's runtime state gone,
// its network given back), the restart policy, and the log kept in size
// while it runs. The capsule manager calls in here holding the capsule's lock.
import type { Requester } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import { exitFromRunEnd, lostRun, restartDelayMs, shouldRestart, type RunEnd } from './capsule-exit.js';
import type { CapsuleLayout } from './capsule-layout.js';
import { requestReopen, type CapsuleLog } from './capsule-logs.js';
import type { CapsuleNetworkJoin } from './capsule-network-join.js';
import { capsuleView, type CapsuleRecord } from './capsule-record.js';
import type { CapsuleRun, RunHooks } from './capsule-run.js';
import type { CapsuleStarter } from './capsule-starter.js';
import { REOPEN_LOG_REQUEST } from './conmon-argv.js';
import type { PreparedRun } from './run-files.js';
import * as rt from './runtime-argv.js';

const KILL_WAIT_MS = 5_000;
const RUNTIME_TIMEOUT_MS = 10_000;

/** Everything Nova holds for one capsule. */
export interface CapsuleSlot {
  name: string;
  rec: CapsuleRecord;
  run: CapsuleRun | null;
  restartTimer: NodeJS.Timeout | null;
  prepared: PreparedRun | null;
  log: CapsuleLog;
}

export interface RunLifecycleOptions {
  layout: CapsuleLayout;
  runner: Pick<ProcessRunner, 'run'>;
  logger: Logger;
  starter: CapsuleStarter;
  network: CapsuleNetworkJoin;
  /** The slot of a capsule, if it still exists. */
  slot: (name: string) => CapsuleSlot | undefined;
  /** Runs `work` under the capsule's lock. */
  exclusive: <T>(name: string, label: string, requester: Requester | null, work: () => Promise<T>) => Promise<T>;
  runtimePath: (rec: CapsuleRecord) => Promise<string>;
  save: (name: string, rec: CapsuleRecord) => Promise<void>;
  onChange?: (name: string, state: ReturnType<typeof capsuleView>['state']) => void;
  restartBackoffMs: number;
}

export class RunLifecycle {
  private closed = false;
  /** Reaps under way, so a closing manager can let them finish. */
  private readonly reaps = new Set<Promise<void>>();
  readonly hooks: RunHooks = {
    ended: (run, end) => void this.runEnded(run, end),
    tick: (run) => void this.rotateLog(run),
  };

  constructor(private readonly o: RunLifecycleOptions) {}

  /** No more watching or restarting: the helper stops (the runs go on under their monitors); reaps under way finish. */
  async close(slots: Iterable<CapsuleSlot>): Promise<void> {
    this.closed = true;
    for (const slot of slots) {
      slot.run?.unwatch();
      this.cancelRestart(slot);
    }
    await Promise.allSettled([...this.reaps]);
  }

  async start(slot: CapsuleSlot): Promise<void> {
    const run = await this.o.starter.start(slot);
    slot.run = run;
    this.o.onChange?.(slot.name, capsuleView(slot.name, slot.rec).state);
    if (!this.closed) run.watch(this.hooks);
  }

  /** A run found by a restarted helper: watched again when its monitor lives, else reaped. */
  async adopt(slot: CapsuleSlot, run: CapsuleRun): Promise<void> {
    slot.run = run;
    if (!run.monitorAlive()) return this.reap(slot, run, false, null);
    this.o.logger.info({ capsule: slot.name, monitor: run.record.monitor, pid: run.record.monitorPid }, 'reattached to running capsule');
    run.watch(this.hooks);
  }

  /** SIGTERM, SIGKILL after the timeout; the caller holds the lock and the reap happens under it. */
  async stop(slot: CapsuleSlot, run: CapsuleRun, timeoutSec: number): Promise<void> {
    const runtime = await this.o.runtimePath(slot.rec);
    const call = (argv: string[]) => this.o.runner.run({ argv, timeoutMs: RUNTIME_TIMEOUT_MS, allowFailure: true });
    const id = this.o.layout.containerId(slot.name);
    const root = this.o.layout.runtimeRoot;
    run.stopRequestedAt = Date.now();
    run.stopping = true;
    try {
      // The run may have ended on its own just before: reap it rather than signal nothing.
      const end = await run.readEnd();
      if (end) return await this.reap(slot, run, true, end);
      if (run.record.paused) await call(rt.resumeArgv(runtime, root, id));
      const exited = run.waitForEndOrForce(timeoutSec * 1000);
      if (timeoutSec > 0) await call(rt.killArgv(runtime, root, id, 'SIGTERM'));
      if (!(await exited) || timeoutSec === 0) {
        const killed = run.waitForEnd(KILL_WAIT_MS);
        await call(rt.killArgv(runtime, root, id, 'SIGKILL', true));
        if (!(await killed)) {
          // The monitor is gone or stuck: clean up behind it.
          if (run.monitorAlive()) process.kill(run.record.monitorPid, 'SIGKILL');
          await this.reap(slot, run, true, await run.readEnd());
        }
      }
    } finally {
      // A reap started by the exit file runs outside the lock this stop holds: it must be
      // over, unmount included, before anything else may touch this capsule.
      await run.reaping?.catch(() => undefined);
      run.stopping = false;
    }
  }

  scheduleRestart(slot: CapsuleSlot, delayMs: number): void {
    if (this.closed) return;
    this.cancelRestart(slot);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      void this.o
        .exclusive(slot.name, 'restart by its policy', null, async () => {
          const rec = slot.rec;
          if (this.o.slot(slot.name) !== slot || slot.run || rec.desired !== 'running' || !rec.restartAt) return;
          rec.restartCount += 1;
          rec.restartAt = null;
          await this.start(slot);
        })
        .catch((err: unknown) => this.o.logger.error({ capsule: slot.name, err }, 'restart failed'));
    }, delayMs);
  }

  /**
   * A run whose health check failed `retries` times in a row: under an `on-failure` or
   * `always` policy (within its retry limit) it is stopped and started again as a run that
   * failed would be, counted in restartCount, the reason kept in lastExit's message. The
   * caller holds the lock; resolves whether it restarts.
   */
  async restartUnhealthy(slot: CapsuleSlot, reason: string): Promise<boolean> {
    const { rec } = slot;
    const policy = rec.spec.restart;
    if (!slot.run || rec.desired !== 'running' || policy.mode === 'no' || this.closed) return false;
    if (policy.mode === 'on-failure' && policy.maxRetries !== null && rec.restartCount >= policy.maxRetries) return false;
    this.o.logger.warn({ capsule: slot.name, reason }, 'capsule unhealthy: restarting it under its policy');
    await this.stop(slot, slot.run, rec.spec.stopTimeoutSec);
    rec.desired = 'running';
    if (rec.lastExit) rec.lastExit = { ...rec.lastExit, message: `stopped by Nova to restart it: ${reason}` };
    const delay = restartDelayMs(this.o.restartBackoffMs, rec.restartCount);
    rec.restartAt = new Date(Date.now() + delay).toISOString();
    await this.o.save(slot.name, rec);
    this.scheduleRestart(slot, delay);
    return true;
  }

  cancelRestart(slot: CapsuleSlot): void {
    if (slot.restartTimer) clearTimeout(slot.restartTimer);
    slot.restartTimer = null;
  }

  /** The run's watch saw its end: reaped under the lock (a stop already holds it). */
  private async runEnded(run: CapsuleRun, end: RunEnd | null): Promise<void> {
    const slot = this.o.slot(run.name);
    if (!slot || slot.run !== run) return;
    try {
      if (run.stopping) await this.reap(slot, run, true, end);
      else await this.o.exclusive(run.name, 'recording the exit', null, () => this.reap(slot, run, false, end));
    } catch (err) {
      this.o.logger.error({ capsule: run.name, err }, 'could not record the end of a capsule run');
    }
  }

  /** Records how the run ended, cleans up and applies the restart policy; once per run. */
  private reap(slot: CapsuleSlot, run: CapsuleRun, stopRequested: boolean, end: RunEnd | null): Promise<void> {
    if (run.reaping) return run.reaping;
    if (slot.run !== run) return Promise.resolve();
    const reaping = this.reapOnce(slot, run, stopRequested, end);
    run.reaping = reaping;
    this.reaps.add(reaping);
    void reaping.finally(() => this.reaps.delete(reaping)).catch(() => undefined);
    return reaping;
  }

  private async reapOnce(slot: CapsuleSlot, run: CapsuleRun, stopRequested: boolean, known: RunEnd | null): Promise<void> {
    run.unwatch();
    const { rec, name } = slot;
    // conmon writes its exit file once (renamed into place), so one read is final.
    const end = known ?? (await run.readEnd());
    const exit = end ? exitFromRunEnd(end, stopRequested || rec.desired === 'stopped', run.stopRequestedAt) : lostRun(run.record.monitor);
    const runtime = await this.o.runtimePath(rec).catch(() => null);
    const deleteContainer = async () => {
      if (runtime) await this.o.runner.run({ argv: rt.deleteArgv(runtime, this.o.layout.runtimeRoot, this.o.layout.containerId(name)), timeoutMs: RUNTIME_TIMEOUT_MS, allowFailure: true });
    };
    // A run whose monitor died without a word may still have its container: it goes first.
    const deleted = end ? null : deleteContainer();
    await deleted;
    rec.run = null;
    slot.run = null;
    rec.lastExit = exit;
    if (run.record.network) await this.o.network.leave(name, rec.spec, run.record.network);
    this.o.logger.info({ capsule: name, exit }, 'capsule exited');
    if (rec.desired === 'running' && !stopRequested && shouldRestart(rec.spec, exit, rec.restartCount)) {
      const delay = restartDelayMs(this.o.restartBackoffMs, rec.restartCount);
      rec.restartAt = new Date(Date.now() + delay).toISOString();
      this.scheduleRestart(slot, delay);
    } else if (rec.desired === 'running') {
      rec.desired = 'stopped';
    }
    // Waiters hear of the exit before the record is saved: until then conmon's exit file
    // (renamed into place, so whole) is the exit's record on disk, and a helper killed now
    // reaps it from there on recover() just the same. The save (fsynced: capsule.json holds
    // the spec too) follows under the lock.
    run.markEnded();
    await this.o.save(name, rec);
    // conmon's runs leave the container's runtime state (and its cgroup) behind: deleted
    // once the exit is recorded, still under the lock. The rootfs stays mounted for the next run.
    if (!deleted) await deleteContainer();
  }

  /** Keeps a running capsule's log within its size: conmon reopens it once it is moved aside. */
  private async rotateLog(run: CapsuleRun): Promise<void> {
    const slot = this.o.slot(run.name);
    if (!slot || slot.run !== run || run.record.monitor !== 'conmon') return;
    await slot.log.rotateIfFull(() => requestReopen(run.paths.controlFifo, REOPEN_LOG_REQUEST)).catch((err: unknown) => {
      this.o.logger.warn({ capsule: run.name, err }, 'could not rotate the capsule log');
    });
  }
}
