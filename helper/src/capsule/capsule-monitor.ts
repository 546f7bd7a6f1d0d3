// conmon as each capsule run's monitor: started detached (its own session, so capsules
// outlive the helper), it runs the container (through nova-runtime-run), owns its stdio
// and log, and records the exit status. This module starts it, tells whether it still runs
// (pid and start time, a zombie counting as dead), and reads how a run ended from what
// it left: conmon's exit file, the cgroup's OOM count, runc's own log when the container
// never started; and exit.json for a run left by Nova's former C shim.
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NovaError } from '../../../src-shared/errors.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { RunEnd } from './capsule-exit.js';
import type { CapsulePaths } from './capsule-layout.js';
import type { MonitorKind } from './capsule-record.js';
import { isLiving, readStatSync, type ProcStat } from '../util/proc-stat.js';
import { oomKillCount } from './cgroup-metrics.js';
import { conmonArgv } from './conmon-argv.js';
import type { MonitorCgroup } from './monitor-cgroup.js';

/** nova-runtime-run beside this module: in the helper's bundle dir, or in the source tree. */
export function bundledRuntimeWrapper(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'nova-runtime-run');
}

export interface MonitorLaunch {
  paths: CapsulePaths;
  containerId: string;
  /** The OCI runtime binary. */
  runtime: string;
  runtimeRoot: string;
}

export interface LaunchedMonitor {
  pid: number;
  /** Its start time (/proc/PID/stat field 22), null if it was gone before it could be read. */
  startTime: string | null;
  /** Resolves with its exit status when it ends while this helper is its parent. */
  exited: Promise<number | null>;
}

/** A file of a few bytes conmon or runc just wrote (page cache): read at once, null when absent. */
export function readSmallFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** State and start time of a process, from /proc/PID/stat; null when there is none. */
export function processStat(pid: number, procRoot = '/proc'): ProcStat | null {
  return readStatSync(pid, procRoot);
}

/** The same process still, and not a zombie waiting for a lazy parent to reap it (proc-stat.ts's one rule). */
export function isMonitorAlive(pid: number, startTime: string, procRoot = '/proc'): boolean {
  return isLiving(readStatSync(pid, procRoot), startTime);
}

/** runc's last error in its JSON log (`{"level":"error","msg":...}`), or null. */
export function lastRuntimeError(log: string): string | null {
  let found: string | null = null;
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if ((v.level === 'error' || v.level === 'fatal') && typeof v.msg === 'string') found = v.msg;
    } catch {
      // a line cut short
    }
  }
  return found;
}

export interface CapsuleMonitorOptions {
  runner: Pick<ProcessRunner, 'spawnDetached'>;
  /** The conmon binary (name on the fixed PATH, or a path). */
  conmon?: string;
  /** nova-runtime-run (default: beside this module). */
  runtimeWrapper?: string;
  cgroupRoot?: string;
  /** Where each monitor is moved once spawned (none: it stays in the helper's cgroup). */
  monitorCgroup?: MonitorCgroup;
}

export class CapsuleMonitor {
  private readonly runner: Pick<ProcessRunner, 'spawnDetached'>;
  private readonly conmon: string;
  private readonly runtimeWrapper: string;
  private readonly cgroupRoot: string;
  private readonly monitorCgroup: MonitorCgroup | null;
  private wrapperChecked = false;

  constructor(o: CapsuleMonitorOptions) {
    this.runner = o.runner;
    this.conmon = o.conmon ?? 'conmon';
    this.runtimeWrapper = o.runtimeWrapper ?? bundledRuntimeWrapper();
    this.cgroupRoot = o.cgroupRoot ?? '/sys/fs/cgroup';
    this.monitorCgroup = o.monitorCgroup ?? null;
  }

  readonly name = 'conmon';

  async launch(l: MonitorLaunch): Promise<LaunchedMonitor> {
    this.checkWrapper();
    const p = l.paths;
    const argv = conmonArgv({
      conmon: this.conmon,
      runtimeWrapper: this.runtimeWrapper,
      runtime: l.runtime,
      runtimeRoot: l.runtimeRoot,
      runtimeLog: p.runtimeLog,
      containerId: l.containerId,
      bundle: p.bundle,
      pidFile: p.pidFile,
      persistDir: p.run,
      logFile: p.logFile,
    });
    let child: ChildProcess;
    try {
      // In the run dir: conmon also drops an `oom` file into its working directory.
      child = await this.runner.spawnDetached({ argv, cwd: p.run, stdio: ['ignore', 'ignore', 'ignore'] });
    } catch (err) {
      throw new NovaError('unavailable', `The capsule monitor conmon could not be started (${err instanceof Error ? err.message : String(err)}): install it (apt-get install conmon)`);
    }
    const exited = new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
    // Neither the monitor nor its (closed) stdio keep the helper's event loop alive.
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new NovaError('internal', 'conmon started without a pid');
    // Not awaited: it runs while conmon starts the container (monitor-cgroup.ts says why).
    void this.monitorCgroup?.place(pid);
    return { pid, startTime: processStat(pid)?.startTime ?? null, exited };
  }

  /** conmon would only say it cannot run it: say which file is missing, once. */
  private checkWrapper(): void {
    if (this.wrapperChecked) return;
    try {
      accessSync(this.runtimeWrapper, constants.X_OK);
    } catch {
      throw new NovaError('unavailable', `${this.runtimeWrapper} is missing or not executable: it is installed beside the helper (npm run build:node builds it)`);
    }
    this.wrapperChecked = true;
  }

  /** The container's pid once the runtime wrote it, else null. */
  containerPid(paths: CapsulePaths): number | null {
    const text = readSmallFile(paths.pidFile);
    const pid = text === null ? NaN : Number(text.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  /** How the run ended, or null while the monitor has not recorded an end. */
  async readEnd(kind: MonitorKind, paths: CapsulePaths, cgroupsPath: string): Promise<RunEnd | null> {
    if (kind === 'nova-shim') return readLegacyEnd(paths);
    const status = readSmallFile(paths.exitFile);
    if (status === null || status.trim() === '') return null;
    const code = Number(status.trim());
    // Synchronous, as the exit file was read: the end of a run is on the start-to-exit path.
    const at = statSync(paths.exitFile, { throwIfNoEntry: false })?.mtime.toISOString() ?? new Date().toISOString();
    return {
      exitCode: Number.isInteger(code) && code >= 0 ? code : null,
      signal: null,
      oomKilled: this.oomKilled(paths, cgroupsPath),
      at,
      started: true,
      runtimeError: null,
    };
  }

  /** The end of a run whose container never started (conmon left without an exit file). */
  async startFailure(paths: CapsulePaths, monitorStatus: number | null): Promise<RunEnd> {
    const said = lastRuntimeError(await readFile(paths.runtimeLog, 'utf8').catch(() => ''));
    return {
      exitCode: monitorStatus,
      signal: null,
      oomKilled: false,
      at: new Date().toISOString(),
      started: false,
      runtimeError: said ?? `the capsule monitor conmon exited (${monitorStatus === null ? 'killed' : `status ${monitorStatus}`}) before the container started`,
    };
  }

  /**
   * The cgroup's own count decides: conmon registers for OOM events only once the runtime
   * is done, and a container that is already gone by then has it watch the wrong cgroup.
   * Its `oom` file is taken only when the cgroup is gone.
   */
  private oomKilled(paths: CapsulePaths, cgroupsPath: string): boolean {
    const kills = oomKillCount(cgroupsPath, this.cgroupRoot);
    if (kills !== null) return kills > 0;
    return existsSync(paths.oomFile);
  }
}

/** exit.json as the former C shim wrote it (atomically) when its `runc run` ended. */
function readLegacyEnd(paths: CapsulePaths): RunEnd | null {
  const text = readSmallFile(paths.legacyExitFile);
  if (!text) return null;
  try {
    const e = JSON.parse(text) as Partial<RunEnd>;
    return {
      exitCode: typeof e.exitCode === 'number' ? e.exitCode : null,
      signal: typeof e.signal === 'string' ? e.signal : null,
      oomKilled: e.oomKilled === true,
      at: typeof e.at === 'string' ? e.at : new Date().toISOString(),
      started: e.started !== false,
      runtimeError: typeof e.runtimeError === 'string' ? e.runtimeError : null,
    };
  } catch {
    return null;
  }
}
