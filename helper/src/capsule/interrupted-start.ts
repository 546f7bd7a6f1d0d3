// What a capsule start leaves when the helper is killed in the middle of it, found again and
// undone by the next helper: the start's intent (state/start-intent.ts) says the run never
// got to `running`, so its container (runc state under Nova's runtime root) and its monitor
// (a conmon whose command line names the container and the capsule's run dir) are killed,
// and its network attachment and namespaces given back; the capsule is then stopped. The
// same finds a container or monitor that no record names, so one capsule never runs twice.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessRunner } from '../process/process-runner.js';
import type { StartIntents } from '../state/start-intent.js';
import type { Logger } from '../util/logger.js';
import { findProcesses, flagValue } from '../util/proc-stat.js';
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

  /** Whether the runtime still keeps a container of this capsule (a monitor never outlives the intent without one). */
  async leftovers(name: string): Promise<boolean> {
    return stat(join(this.o.layout.runtimeRoot, this.o.layout.containerId(name))).then(() => true, () => false);
  }

  /** Kills what the interrupted start made, gives back its network, and records the capsule as stopped. */
  async undo(name: string, rec: CapsuleRecord): Promise<void> {
    const killed = await this.killLeftovers(name, rec);
    const run = rec.run;
    await this.o.network.leave(name, rec.spec, run?.network ?? null);
    rec.run = null;
    rec.desired = 'stopped';
    rec.restartAt = null;
    // Stopped, with the reason: a capsule whose first start was cut short is not `created` as if untouched.
    rec.lastExit = { exitCode: null, signal: null, reason: 'start-failed', at: new Date().toISOString(), message: 'the helper was stopped (killed or crashed) while it started the capsule; what the start had made was removed' };
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
