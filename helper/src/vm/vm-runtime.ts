// One running VM: its QEMU process, its QMP client and the watcher on QMP's events, the
// state they imply, how it is stopped (power button, quit, kill, each bounded) and how
// its end is noticed and reaped. The manager keeps one per running VM and hears from it
// when QEMU ends; cleaning up the VM's files is the manager's (vm-runtime-files.ts).
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import type { VmMetrics, VmState } from '../../../src-shared/vm.js';
import type { Logger } from '../util/logger.js';
import { buildMetrics, readProcSample, type ProcSample } from './metrics-sampler.js';
import { isAlive, killQemu, tailFile, waitForExit } from './qemu-process.js';
import type { QmpBlockStats, QmpClient, QmpEvent } from './qmp-client.js';
import type { RuntimeRecord } from './vm-store.js';
import { readTapCounters } from './vm-network.js';

/** How long `quit` may take before QEMU is killed, and QEMU's exit after either. */
const QUIT_TIMEOUT_MS = 3_000;
const EXIT_WAIT_MS = 5_000;
/** A metrics sample must not hold a caller behind a slow monitor for long. */
const METRICS_QMP_TIMEOUT_MS = 2_000;

export interface VmRuntimeHooks {
  onState(name: string, state: VmState, reason: string | null): void;
  /**
   * QEMU is gone and reaped. `crashReason` is null when its end was asked for (stop,
   * guest power-off), else why it ended. Resolving means the VM's files are cleaned up.
   */
  onEnded(runtime: VmRuntime, crashReason: string | null): Promise<void>;
}

export interface VmRuntimeOptions {
  name: string;
  record: RuntimeRecord;
  qmp: QmpClient;
  initial: 'running' | 'paused';
  hooks: VmRuntimeHooks;
  logger: Logger;
  qemuLog: string;
  /** How QEMU exited, when this helper is its parent (a reattached QEMU cannot tell). */
  exitNote?: () => string | null;
}

/** How long a stop waits for a QEMU whose monitor failed under it to end on its own. */
const ENDING_GRACE_MS = 2_000;

export class VmRuntime {
  readonly name: string;
  readonly record: RuntimeRecord;
  readonly qmp: QmpClient;
  /** Resolves once QEMU has ended and the manager has cleaned up after it. */
  readonly ended: Promise<void>;
  private currentState: VmState;
  /** Set by stop, kill and delete, so QEMU's exit is expected, not a crash. */
  private stopping = false;
  private guestShutdown = false;
  /** While powerOff waits for the guest: ends that wait early, so it forces off now. */
  private hurry: (() => void) | null = null;
  private finishing = false;
  private detached = false;
  private resolveEnded!: () => void;
  private prevSample: ProcSample | undefined;

  constructor(private readonly o: VmRuntimeOptions) {
    this.name = o.name;
    this.record = o.record;
    this.qmp = o.qmp;
    this.currentState = o.initial;
    this.ended = new Promise<void>((r) => (this.resolveEnded = r));
    o.qmp.onEvent((ev) => this.onQmpEvent(ev));
  }

  get state(): VmState {
    return this.currentState;
  }

  get isStopping(): boolean {
    return this.currentState === 'stopping';
  }

  /** Nova ended it (stop, suspend, delete, a failed start): a restart policy leaves it ended. */
  get endWasRequested(): boolean {
    return this.stopping;
  }

  /** Announces the initial state; the manager calls it once the runtime is registered. */
  announce(): void {
    this.o.hooks.onState(this.name, this.currentState, null);
  }

  async pause(): Promise<void> {
    await this.qmp.stop();
    this.setState('paused', null);
  }

  async resume(): Promise<void> {
    await this.qmp.cont();
    this.setState('running', null);
  }

  /** A hard reset, as the reset button: the guest is not asked. */
  async reset(): Promise<void> {
    await this.qmp.systemReset();
  }

  /** ACPI power button, then quit after `timeoutMs`; true when the guest shut down by itself. */
  async powerOff(timeoutMs: number): Promise<boolean> {
    // Armed before the first await, so a force off at any moment of this stop cuts it short.
    const hurried = new Promise<false>((resolve) => (this.hurry = () => resolve(false)));
    this.stopping = true;
    this.setState('stopping', null);
    try {
      try {
        if ((await this.qmp.queryStatus()).status === 'paused') await this.qmp.cont();
        await this.qmp.systemPowerdown();
      } catch (err) {
        // A guest already powering off by itself (asked through its agent) takes its monitor with it.
        if (await this.waitEnded(ENDING_GRACE_MS)) return true;
        this.o.logger.warn({ err, vm: this.name }, 'powerdown failed; forcing');
        await this.forceStop();
        return false;
      }
      if (await Promise.race([this.waitEnded(timeoutMs), hurried])) return true;
    } finally {
      this.hurry = null;
    }
    this.o.logger.info({ vm: this.name, timeoutMs }, 'guest ignored the power button (or was forced off while waiting); quitting');
    await this.forceStop();
    return false;
  }

  /** Makes a powerOff that waits for the guest force it off now; false when none waits. */
  hurryPowerOff(): boolean {
    if (!this.hurry) return false;
    this.hurry();
    return true;
  }

  /** `quit`, then SIGKILL when QEMU does not go; returns once the VM's files are cleaned up. */
  async forceStop(): Promise<void> {
    this.stopping = true;
    this.setState('stopping', null);
    let graceMs = EXIT_WAIT_MS;
    try {
      await this.qmp.quit(QUIT_TIMEOUT_MS);
    } catch (err) {
      // A monitor that did not take the quit has a QEMU that will not exit by itself.
      this.o.logger.warn({ err, vm: this.name }, 'quit failed; killing');
      graceMs = 0;
    }
    await this.killAndReap(graceMs);
  }

  /** SIGKILL at once, for a start that is cancelled or failed: nothing in the guest is worth saving. */
  async kill(): Promise<void> {
    this.stopping = true;
    this.setState('stopping', null);
    await this.killAndReap(0);
  }

  /** Stops listening and closes QMP; QEMU keeps running (helper shutdown). */
  detach(): void {
    this.detached = true;
    this.qmp.close();
  }

  async waitEnded(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    try {
      return await Promise.race([this.ended.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** CPU, memory, disk and tap counters now. A monitor that does not answer fails this call with `timeout`, naming the command. */
  async metrics(): Promise<VmMetrics> {
    const cur = await readProcSample(this.record.pid);
    if (!cur) throw new NovaError('failed_precondition', `VM ${this.name}'s QEMU is gone`);
    const blocks = await this.qmp.execute<QmpBlockStats[]>('query-blockstats', {}, METRICS_QMP_TIMEOUT_MS).catch((err: unknown) => {
      // A VM closing its monitor has no disk counters to give; a silent one is worth saying.
      if (isNovaError(err, 'timeout')) throw err;
      return [];
    });
    const m = buildMetrics(this.name, this.prevSample, cur, blocks);
    this.prevSample = cur;
    // Every tap's bytes together: the metrics speak of the VM's traffic, not one NIC's.
    const counters = (await Promise.all(this.record.taps.map((t) => readTapCounters(t.ifname)))).filter((c) => c !== null);
    if (counters.length === 0) return m;
    return { ...m, netRxBytes: counters.reduce((sum, c) => sum + c.rxBytes, 0), netTxBytes: counters.reduce((sum, c) => sum + c.txBytes, 0) };
  }

  /** Gives QEMU `graceMs` to exit, kills it otherwise, and waits for the end to be handled. */
  private async killAndReap(graceMs: number): Promise<void> {
    if (!(await waitForExit(this.record.pid, this.record.startTime, graceMs))) await killQemu(this.record.pid, this.record.startTime);
    if (await this.waitEnded(EXIT_WAIT_MS)) return;
    // The monitor never reported the end (its socket was already gone): finish here.
    this.qmp.close();
    await this.finish(null);
  }

  private onQmpEvent(ev: QmpEvent): void {
    if (this.detached) return;
    switch (ev.event) {
      case 'STOP':
        if (this.currentState === 'running') this.setState('paused', null);
        break;
      case 'RESUME':
        if (this.currentState === 'paused') this.setState('running', null);
        break;
      case 'SHUTDOWN':
        if (!ev.synthetic) {
          this.guestShutdown = ev.data.guest === true || this.stopping;
          if (this.currentState !== 'stopping') this.setState('stopping', null);
        }
        break;
      case 'DISCONNECTED':
        void this.onQemuGone();
        break;
      default:
        break;
    }
  }

  private async onQemuGone(): Promise<void> {
    // The socket closes a moment before the process is reaped.
    await waitForExit(this.record.pid, this.record.startTime, EXIT_WAIT_MS);
    if (this.stopping || this.guestShutdown) return this.finish(null);
    await new Promise((r) => setTimeout(r, 20)); // let the child's exit event land
    const log = await tailFile(this.o.qemuLog, 3);
    const note = this.o.exitNote?.() ?? `QEMU (pid ${this.record.pid}) ended without a shutdown (killed or crashed)`;
    await this.finish(`${note}; log: ${log}`);
  }

  /** Runs once, whichever path noticed the end first. */
  private async finish(crashReason: string | null): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    try {
      if (crashReason === null && (await isAlive(this.record.pid, this.record.startTime))) {
        this.o.logger.warn({ vm: this.name, pid: this.record.pid }, 'QMP closed but QEMU still runs; killing it');
        await killQemu(this.record.pid, this.record.startTime).catch(() => undefined);
      }
      await this.o.hooks.onEnded(this, crashReason);
    } finally {
      this.resolveEnded();
    }
  }

  private setState(state: VmState, reason: string | null): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.o.hooks.onState(this.name, state, reason);
  }
}
