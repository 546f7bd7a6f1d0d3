// What a capsule start leaves when the helper is killed in the middle of it, found again and
// undone by the next helper: the start's intent (state/start-intent.ts) says the run never
// got to `running`, so its container (runc state under Nova's runtime root) and its monitor
// (a conmon whose command line names the container and the capsule's run dir) are killed,
// and its network attachment and namespaces given back; the capsule is then stopped. The
// same finds a container or monitor that no record names, so one capsule never runs twice.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRunner } from '../process/process-runner.js';
import type { StartIntents } from '../state/start-intent.js';
import type { Logger } from '../util/logger.js';
import { findProcesses, flagValue, isSameProcess } from '../util/proc-stat.js';
import type { CapsuleLayout } from './capsule-layout.js';
import type { CapsuleNetworkJoin } from './capsule-network-join.js';
import type { CapsuleRecord } from './capsule-record.js';
import * as rt from './runtime-argv.js';

const RUNTIME_TIMEOUT_MS = 10_000;

/** Whether a command line is the conmon of container `id` keeping its files in `persistDir`. */
export function conmonArgvIsRun(argv: readonly string[], id: string, persistDir: string): boolean {
  return (argv[0] ?? '').split('/').pop() === 'conmon' && flagValue(argv, '--cid') === id && flagValue(argv, '--persist-dir') === persistDir;
}

export interface InterruptedStartsOptions {
  layout: CapsuleLayout;
  runner: Pick<ProcessRunner, 'run'>;
  network: CapsuleNetworkJoin;
  intents: StartIntents;
  runtimePath: (rec: CapsuleRecord) => Promise<string>;
  save: (name: string, rec: CapsuleRecord) => Promise<void>;
  logger: Logger;
}

export class InterruptedStarts {
  constructor(private readonly o: InterruptedStartsOptions) {}

  /** A start's intent left by a killed helper: that start never finished. */
  async pending(name: string): Promise<boolean> {
    return (await this.o.intents.pending('capsule', name)) !== null;
  }

  /**
   * Whether a container of this capsule still runs: its init process, as the runtime's own
   * state.json names it (pid and start time), is alive. A stopped container's state left
   * behind (a helper killed between recording an exit and deleting it) is no leftover run.
   */
  async leftovers(name: string): Promise<boolean> {
    const file = join(this.o.layout.runtimeRoot, this.o.layout.containerId(name), 'state.json');
    try {
      const state = JSON.parse(await readFile(file, 'utf8')) as { init_process_pid?: unknown; init_process_start?: unknown };
      const pid = state.init_process_pid;
      const start = state.init_process_start;
      return typeof pid === 'number' && typeof start === 'number' && (await isSameProcess(pid, String(start)));
    } catch {
      return false;
    }
  }

  /**
   * Kills what the interrupted start made (or the container no record names: `unrecorded`),
   * gives back its network, and records the capsule as stopped, saying why.
   */
  async undo(name: string, rec: CapsuleRecord, unrecorded = false): Promise<void> {
    const killed = await this.killLeftovers(name, rec);
    const run = rec.run;
    await this.o.network.leave(name, rec.spec, run?.network ?? null);
    rec.run = null;
    rec.desired = 'stopped';
    rec.restartAt = null;
    // Stopped, with the reason: a capsule whose first start was cut short is not `created` as if untouched.
    rec.lastExit = { exitCode: null, signal: null, reason: 'start-failed', at: new Date().toISOString(), message: unrecorded ? 'a container of this capsule ran without a record of its run; it was stopped, so the capsule never runs twice' : 'the helper was stopped (killed or crashed) while it started the capsule; what the start had made was removed' };
    await this.o.save(name, rec);
    await this.o.intents.end('capsule', name);
    this.o.logger.warn({ capsule: name, killed }, 'undid a capsule start the previous helper did not finish: the capsule is stopped');
  }

  /** The container (every process of it) and its monitors, killed; the runtime's state deleted. Returns the monitor pids killed. */
  async killLeftovers(name: string, rec: CapsuleRecord): Promise<number[]> {
    const id = this.o.layout.containerId(name);
    const root = this.o.layout.runtimeRoot;
    const runtime = await this.o.runtimePath(rec).catch(() => null);
    const call = (argv: string[]) => this.o.runner.run({ argv, timeoutMs: RUNTIME_TIMEOUT_MS, allowFailure: true });
    if (runtime) await call(rt.killArgv(runtime, root, id, 'SIGKILL', true));
    const monitors = await this.monitors(name);
    for (const m of monitors) {
      try {
        process.kill(m.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (runtime) await call(rt.deleteArgv(runtime, root, id));
    return monitors.map((m) => m.pid);
  }

  private monitors(name: string): Promise<Array<{ pid: number; startTime: string }>> {
    const id = this.o.layout.containerId(name);
    const persistDir = this.o.layout.paths(name).run;
    return findProcesses((argv) => conmonArgvIsRun(argv, id, persistDir));
  }
}
