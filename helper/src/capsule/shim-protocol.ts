// What the capsule manager and the native shim (helper/native/capsule-shim/capsule-shim.c,
// built to out/helper/nova-capsule-shim) agree on: the shim's argv, the exit record it
// writes when runc ends, and the JSON log lines it writes. The C side follows this file.

/** Name of the shim executable, built beside the helper bundle. */
export const SHIM_BINARY = 'nova-capsule-shim';

export interface ShimSpec {
  runtime: string;
  runtimeRoot: string;
  bundle: string;
  id: string;
  pidFile: string;
  exitFile: string;
  logFile: string;
  maxLogBytes: number;
  maxLogFiles: number;
  /** Sequence number of the first line this run writes (continues the log). */
  firstSeq: number;
  /** The capsule's v1 memory cgroup dir: OOM kills are counted in memory.oom_control and notified through cgroup.event_control. */
  memoryCgroupDir: string | null;
  /** The capsule's v2 cgroup dir: OOM kills are counted in memory.events; used when the v1 dir is absent. */
  unifiedCgroupDir: string | null;
  /** The overlay the shim mounts on `target` (the bundle's rootfs) before runc runs (the helper unmounts it); null when the rootfs is a copy or already mounted. */
  rootfsOverlay: { lower: string; upper: string; work: string; target: string } | null;
}

/** The shim's argv after its executable: every field as `--flag value`, optional ones left out when null. */
export function shimArgv(spec: ShimSpec): string[] {
  const argv = [
    '--runtime', spec.runtime,
    '--runtime-root', spec.runtimeRoot,
    '--bundle', spec.bundle,
    '--id', spec.id,
    '--pid-file', spec.pidFile,
    '--exit-file', spec.exitFile,
    '--log-file', spec.logFile,
    '--max-log-bytes', String(spec.maxLogBytes),
    '--max-log-files', String(spec.maxLogFiles),
    '--first-seq', String(spec.firstSeq),
  ];
  if (spec.memoryCgroupDir !== null) argv.push('--memory-cgroup-dir', spec.memoryCgroupDir);
  if (spec.unifiedCgroupDir !== null) argv.push('--unified-cgroup-dir', spec.unifiedCgroupDir);
  const o = spec.rootfsOverlay;
  if (o !== null) argv.push('--overlay-lower', o.lower, '--overlay-upper', o.upper, '--overlay-work', o.work, '--overlay-target', o.target);
  return argv;
}

/** The exit record (run/exit.json), written atomically (temp file, rename) when runc ends. */
export interface ShimExit {
  exitCode: number | null;
  signal: string | null;
  oomKilled: boolean;
  at: string;
  /** False when the runtime never started the container (no pid file appeared). */
  started: boolean;
  /** runc's own complaint (or the shim's) when the container could not start. */
  runtimeError: string | null;
}

/**
 * One log line as stored: JSON so any text survives (invalid UTF-8 becomes U+FFFD), with
 * a sequence number for follow. Lines longer than MAX_LINE_BYTES are cut into pieces.
 * Files rotate as capsule.log -> capsule.log.1 -> ... -> capsule.log.(maxLogFiles-1).
 */
export interface StoredLogLine {
  n: number;
  t: string;
  s: 'stdout' | 'stderr';
  m: string;
}

export const MAX_LINE_BYTES = 16 * 1024;
