// conmon's exact command line for one capsule run, as a pure function with golden tests.
// conmon (the monitor podman and CRI-O use) runs the runtime's `create` through
// nova-runtime-run, which makes it `run --detach` (the capsule starts at once, with one
// runtime process), owns the container's stdio and writes it to the log, and records the
// exit status (and any OOM kill it heard of) in its persist dir.
import { NovaError } from '../../../src-shared/errors.js';

export interface ConmonSpec {
  /** The conmon binary (its name, looked up on the fixed PATH, or a path). */
  conmon: string;
  /** nova-runtime-run, which conmon runs as its runtime. */
  runtimeWrapper: string;
  /** The OCI runtime binary nova-runtime-run runs. */
  runtime: string;
  /** The runtime's state dir (`--root`). */
  runtimeRoot: string;
  /** Where the runtime logs its own errors (JSON lines): the reason a start failed. */
  runtimeLog: string;
  containerId: string;
  bundle: string;
  /** Written by the runtime when the container exists: the container's first pid. */
  pidFile: string;
  /** conmon writes `exit` (the status) and `oom` here. */
  persistDir: string;
  /** The container's stdout and stderr, in the k8s-file format. */
  logFile: string;
}

export function conmonArgv(s: ConmonSpec): string[] {
  // conmon splits --log-path at ':' (DRIVER:PATH), so a path with one cannot be given.
  if (s.logFile.includes(':')) throw new NovaError('invalid_argument', `A capsule's log path may not contain ":" (conmon cannot take it): ${s.logFile}`);
  return [
    s.conmon,
    // One process, not a double fork: the helper knows its pid at once, and the monitor
    // still has its own session (setsid), so it outlives the helper.
    '--sync',
    '--cid', s.containerId,
    '--cuuid', s.containerId,
    '--name', s.containerId,
    '--runtime', s.runtimeWrapper,
    '--runtime-arg', s.runtime,
    '--runtime-arg', '--root',
    '--runtime-arg', s.runtimeRoot,
    '--runtime-arg', '--log',
    '--runtime-arg', s.runtimeLog,
    '--runtime-arg', '--log-format',
    '--runtime-arg', 'json',
    '--bundle', s.bundle,
    '--container-pidfile', s.pidFile,
    '--log-path', `k8s-file:${s.logFile}`,
    '--persist-dir', s.persistDir,
    // The attach socket and control fifos go in the bundle, not in /var/run/crio.
    '--full-attach',
    // An fsync of the log on every exit would cost a journal commit on the stop path; the
    // log is a log, and the exit status is what must survive (the helper fsyncs its record).
    '--no-sync-log',
  ];
}

/** The control fifo line that makes conmon reopen its log file (after Nova rotated it). */
export const REOPEN_LOG_REQUEST = '2 0 0\n';
