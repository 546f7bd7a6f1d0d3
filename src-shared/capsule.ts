// Capsules (persistent OCI containers) and their OCI images, as every process sees them:
// the create spec the user writes, the capsule record the helper reports, and the image
// records. Pure zod so the renderer, main and the helper validate the same shapes.
import { z } from 'zod';
import { NetworkNameSchema } from './network.js';

/** Capsule names become container ids, cgroup and directory names: never a `/`. */
export const CAPSULE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const CapsuleNameSchema = z
  .string()
  .regex(CAPSULE_NAME_PATTERN, 'a capsule name is 1-63 of a-z 0-9 _ - starting with a letter or digit');

/** Snapshot names follow the capsule rule. */
export const CapsuleSnapshotNameSchema = z
  .string()
  .regex(CAPSULE_NAME_PATTERN, 'a snapshot name is 1-63 of a-z 0-9 _ - starting with a letter or digit');

/** Docker's floor: below this the runtime or the kernel refuses, or the capsule cannot start. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

export const RestartPolicySchema = z.union([
  z.strictObject({ mode: z.literal('no') }),
  z.strictObject({ mode: z.literal('always') }),
  z.strictObject({
    mode: z.literal('on-failure'),
    /** null: no limit. */
    maxRetries: z.number().int().min(1).max(1000).nullable(),
  }),
]);
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;

/** `no`, `always`, `on-failure`, `on-failure:N`, as Docker spells them. */
export function parseRestartPolicy(text: string): RestartPolicy | null {
  if (text === 'no') return { mode: 'no' };
  if (text === 'always') return { mode: 'always' };
  const m = /^on-failure(?::([1-9][0-9]{0,3}))?$/.exec(text);
  if (!m) return null;
  return { mode: 'on-failure', maxRetries: m[1] ? Number(m[1]) : null };
}

export function formatRestartPolicy(p: RestartPolicy): string {
  if (p.mode !== 'on-failure') return p.mode;
  return p.maxRetries === null ? 'on-failure' : `on-failure:${p.maxRetries}`;
}

export const VolumeSchema = z.strictObject({
  /** Absolute host path; resolved inside an allowed root without following symlinks out of it. */
  source: z.string().min(1).max(4096),
  /** Absolute path inside the capsule. */
  target: z.string().min(1).max(4096).regex(/^\//, 'a volume target is an absolute path'),
  readOnly: z.boolean().default(false),
});
export type Volume = z.infer<typeof VolumeSchema>;

/** `host:guest[:ro|:rw]`, as the NovaFile and the CLI write volumes. */
export function parseVolume(text: string): Volume | null {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) return null;
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!source || !target) return null;
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') return null;
  return { source, target, readOnly: mode === 'ro' };
}

/** A published port: `hostPort` on the host forwards to `guestPort` of the capsule's address. */
export const PublishedPortSchema = z.strictObject({
  hostPort: z.number().int().min(1).max(65535),
  guestPort: z.number().int().min(1).max(65535),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});
export type PublishedPort = z.output<typeof PublishedPortSchema>;

/** `host:guest[/tcp|/udp]`, as the NovaFile and the CLI write published ports. */
export function parsePublishedPort(text: string): PublishedPort | null {
  const m = /^(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(text);
  if (!m) return null;
  const hostPort = Number(m[1]);
  const guestPort = Number(m[2]);
  if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) return null;
  return { hostPort, guestPort, protocol: m[3] === 'udp' ? 'udp' : 'tcp' };
}

const EnvKeySchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

export const CapsuleSpecSchema = z.strictObject({
  name: CapsuleNameSchema,
  /** A registry reference (`ubuntu:22.04`) or the name of an imported image. */
  image: z.string().min(1).max(512),
  /** Replaces the image's entrypoint when set. */
  entrypoint: z.array(z.string()).max(256).optional(),
  /** Replaces the image's cmd when set. */
  command: z.array(z.string()).max(4096).optional(),
  env: z.record(EnvKeySchema, z.string().max(65536)).default({}),
  workdir: z.string().max(4096).regex(/^\//, 'the working directory is an absolute path').optional(),
  /** Numeric `uid` or `uid:gid`; the image's user otherwise. */
  user: z.string().regex(/^\d{1,10}(:\d{1,10})?$/, 'a numeric uid or uid:gid').optional(),
  hostname: z.string().regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/).optional(),
  volumes: z.array(VolumeSchema).max(64).default([]),
  /** Fractional CPUs: 0.5 is half of one CPU's time. */
  cpus: z.number().positive().max(1024).optional(),
  memoryBytes: z.number().int().min(MIN_MEMORY_BYTES, `memory must be at least ${MIN_MEMORY_BYTES} bytes (6 MiB)`).optional(),
  pids: z.number().int().min(1).max(4194304).optional(),
  /** Relative block IO weight (10-1000), where the host's IO scheduler offers it. */
  ioWeight: z.number().int().min(10).max(1000).optional(),
  restart: RestartPolicySchema.default({ mode: 'no' }),
  /** Seconds between SIGTERM and SIGKILL on stop. */
  stopTimeoutSec: z.number().int().min(0).max(3600).default(10),
  /** A specific OCI runtime (crun, runc); the helper's probed default otherwise. */
  runtime: z.string().max(64).optional(),
  /**
   * A user namespace (uid 0 inside is an unprivileged id outside). Unset: where the host
   * allows (the default); true: required, create fails where refused; false: off, root
   * inside is root on the host.
   */
  userNamespace: z.boolean().optional(),
  /** A Nova network to join (a veth in the capsule's own namespace); none: loopback only. */
  network: NetworkNameSchema.optional(),
  /** Static `address[/prefix]` on that network; omitted: the helper picks a free one. */
  address: z.string().max(64).optional(),
  /** Host ports forwarded to the capsule (needs a NAT network). */
  ports: z.array(PublishedPortSchema).max(256).default([]),
});
export type CapsuleSpec = z.infer<typeof CapsuleSpecSchema>;
export type CapsuleSpecIn = z.input<typeof CapsuleSpecSchema>;

export const CapsuleStateSchema = z.enum(['created', 'running', 'paused', 'restarting', 'stopped']);
export type CapsuleState = z.infer<typeof CapsuleStateSchema>;

export const ExitReasonSchema = z.enum(['exited', 'signaled', 'oom-killed', 'stopped', 'start-failed', 'lost']);
export type ExitReason = z.infer<typeof ExitReasonSchema>;

export const CapsuleExitSchema = z.strictObject({
  /** The process's exit status, or 128 + signal as a shell reports it. */
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  reason: ExitReasonSchema,
  at: z.string(),
  message: z.string().optional(),
});
export type CapsuleExit = z.infer<typeof CapsuleExitSchema>;

/** Whether a capsule runs in a user namespace, decided when it is created. */
export const CapsuleUserNamespaceSchema = z.strictObject({
  enabled: z.boolean(),
  /** The host id that uid and gid 0 inside map to, for `size` ids; null when not enabled. */
  hostId: z.number().int().nullable(),
  size: z.number().int().nullable(),
  /** Why the capsule runs without one (root inside is root on the host); null when enabled. */
  reason: z.string().nullable(),
});
export type CapsuleUserNamespace = z.infer<typeof CapsuleUserNamespaceSchema>;

/** `yes, uid 0 -> 1000000000 (65536 ids)` or `no: WHY`, as inspect and the UI say it. */
export function describeUserNamespace(u: CapsuleUserNamespace): string {
  return u.enabled ? `yes, uid 0 -> ${u.hostId} (${u.size} ids)` : `no: ${u.reason ?? 'not enabled'}`;
}

export const CapsuleSchema = z.strictObject({
  name: z.string(),
  spec: CapsuleSpecSchema,
  imageId: z.string(),
  imageName: z.string(),
  state: CapsuleStateSchema,
  runtime: z.string(),
  rootfsMode: z.enum(['overlay', 'copy']),
  pid: z.number().int().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  lastExit: CapsuleExitSchema.nullable(),
  /** Restarts made by the restart policy since the last manual start. */
  restartCount: z.number().int(),
  /** Where the running capsule sits on its Nova network; null when stopped or not attached. */
  network: z
    .strictObject({ name: z.string(), address: z.string(), hostname: z.string(), hostIfname: z.string() })
    .nullable()
    .default(null),
  /** User namespace or not, and why not; null from a helper that does not report it. */
  userNamespace: CapsuleUserNamespaceSchema.nullable().default(null),
});
export type Capsule = z.infer<typeof CapsuleSchema>;

export const CapsuleSnapshotSchema = z.strictObject({
  name: z.string(),
  createdAt: z.string(),
  /** The archive's size; null for a btrfs snapshot, whose own share is unknown without quotas. */
  sizeBytes: z.number().int().nullable(),
  kind: z.enum(['archive', 'btrfs']),
});
export type CapsuleSnapshot = z.infer<typeof CapsuleSnapshotSchema>;

export const CapsuleMetricsSchema = z.strictObject({
  at: z.string(),
  cpuUsageNs: z.number().nullable(),
  memoryBytes: z.number().nullable(),
  memoryLimitBytes: z.number().nullable(),
  pids: z.number().nullable(),
  ioReadBytes: z.number().nullable(),
  ioWriteBytes: z.number().nullable(),
  /** Bytes the capsule received and sent on its Nova network veth; null without one. */
  netRxBytes: z.number().nullable().default(null),
  netTxBytes: z.number().nullable().default(null),
});
export type CapsuleMetrics = z.infer<typeof CapsuleMetricsSchema>;

export const LogStreamSchema = z.enum(['stdout', 'stderr', 'system']);
export const LogLineSchema = z.strictObject({
  at: z.string(),
  stream: LogStreamSchema,
  text: z.string(),
});
export type LogLine = z.infer<typeof LogLineSchema>;

export const OciImageConfigSchema = z.strictObject({
  entrypoint: z.array(z.string()),
  cmd: z.array(z.string()),
  env: z.array(z.string()),
  user: z.string(),
  workdir: z.string(),
  exposedPorts: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
});
export type OciImageConfig = z.infer<typeof OciImageConfigSchema>;

export const OciImageSchema = z.strictObject({
  id: z.string(),
  /** `docker.io/library/ubuntu:22.04` for pulls, `NAME:TAG` for imports. */
  name: z.string(),
  source: z.enum(['pull', 'import']),
  digest: z.string(),
  sizeBytes: z.number().int(),
  createdAt: z.string(),
  config: OciImageConfigSchema,
});
export type OciImage = z.infer<typeof OciImageSchema>;

