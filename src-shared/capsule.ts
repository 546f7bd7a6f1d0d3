// Capsules (persistent OCI containers) and their OCI images, as every process sees them:
// the create spec the user writes, the capsule record the helper reports, and the image
// records. Pure zod so the renderer, main and the helper validate the same shapes.
import { AutostartSchema } from './vm-lifecycle.js';
import { z } from 'zod';
import { CapsuleGpusSchema, GpuDeviceSchema } from './capsule-gpus.js';
import { GuestHealthSchema, HealthCheckSchema } from './health.js';
import { NetworkNameSchema } from './network.js';
import { parseCapsuleUser } from './vocabulary/capsule-user.js';
import { parseDnsName } from './vocabulary/dns-name.js';
import { parseEnvName } from './vocabulary/env-name.js';
import { IMAGE_REFERENCE_MAX, parseImageReference } from './vocabulary/image-reference.js';
import { parseText, type Parsed } from './vocabulary/parsed.js';
import { parsePortMapping } from './vocabulary/port-mapping.js';
import { PortNumberSchema, ProtocolSchema } from './vocabulary/port.js';
import { MAX_RESTART_RETRIES, parseRestartPolicy as parseRestartPolicyText, type RestartPolicy } from './vocabulary/restart-policy.js';
import { nameSchema } from './vocabulary/resource-name.js';
import { CAPSULE_MEMORY, MEBIBYTE, sizeSchema } from './vocabulary/size.js';
import { syntaxOrShape, syntaxSchema } from './vocabulary/syntax-schema.js';
import { parseGuestPath, parseHostPath, parseVolume as parseVolumeText, parseVolumeTarget } from './vocabulary/volume.js';

export { CAPSULE_NAME_PATTERN } from './vocabulary/resource-name.js';
export { formatRestartPolicy, type RestartPolicy } from './vocabulary/restart-policy.js';

/** Capsule names become container ids, cgroup and directory names: never a `/`. */
export const CapsuleNameSchema = nameSchema('capsule');

/** Snapshot names follow the capsule rule. */
export const CapsuleSnapshotNameSchema = nameSchema('capsule-snapshot');

/** Docker's floor: below this the runtime or the kernel refuses, or the capsule cannot start. */
export const MIN_MEMORY_BYTES = CAPSULE_MEMORY.minMiB * MEBIBYTE;
/** A memory limit as a person writes it ("512Mi", "2g", "512" for MiB), parsed to MiB. */
export const CapsuleMemorySchema = sizeSchema(CAPSULE_MEMORY);

const restartShape = z.union([
  z.strictObject({ mode: z.literal('no') }),
  z.strictObject({ mode: z.literal('always') }),
  z.strictObject({
    mode: z.literal('on-failure'),
    /** null: no limit. */
    maxRetries: z.number().int().min(1).max(MAX_RESTART_RETRIES).nullable(),
  }),
]);
/** `no`, `always`, `on-failure`, `on-failure:N` as Docker spells them, or the object they stand for. */
export const RestartPolicySchema = syntaxOrShape(parseRestartPolicyText, restartShape);

function orNull<T>(result: Parsed<T>): T | null {
  return result.ok ? result.value : null;
}

/** The policy, or null when `text` is not one (the vocabulary's parser says why). */
export function parseRestartPolicy(text: string): RestartPolicy | null {
  return orNull(parseRestartPolicyText(text));
}

const volumeShape = z.strictObject({
  /** Absolute host path; resolved inside an allowed root without following symlinks out of it. */
  source: syntaxSchema<string>((v) => parseText(v, 'an absolute host path', (t) => parseHostPath(t))).pipe(z.string().max(4096)),
  /** Absolute path inside the capsule. */
  target: syntaxSchema<string>((v) => parseText(v, 'an absolute path inside the capsule', parseVolumeTarget)).pipe(z.string().max(4096)),
  readOnly: z.boolean().default(false),
});
/** `host:guest[:ro|:rw]` with an absolute host path, or the object it stands for. */
export const VolumeSchema = syntaxOrShape(parseVolumeText, volumeShape);
export type Volume = z.output<typeof VolumeSchema>;

const publishedPortShape = z.strictObject({
  hostPort: PortNumberSchema,
  guestPort: PortNumberSchema,
  protocol: ProtocolSchema.default('tcp'),
});
/** A published port, `host:guest[/tcp|/udp]`: `hostPort` on the host forwards to `guestPort` of the capsule's address. */
export const PublishedPortSchema = syntaxOrShape(parsePortMapping, publishedPortShape);
export type PublishedPort = z.output<typeof PublishedPortSchema>;

/** The port mapping, or null when `text` is not one (the vocabulary's parser says why). */
export function parsePublishedPort(text: string): PublishedPort | null {
  return orNull(parsePortMapping(text));
}

const EnvKeySchema = syntaxSchema<string>((v) => parseText(v, 'an environment variable name', parseEnvName));
/** A registry reference (`ubuntu:22.04`) or the name of an imported image, kept as written. */
export const ImageReferenceSchema = syntaxSchema<string>((v) =>
  parseText(v, 'an image reference such as "ubuntu:22.04"', (t) => {
    const parsed = parseImageReference(t);
    return parsed.ok ? { ok: true, value: parsed.value.text } : parsed;
  }),
).pipe(z.string().max(IMAGE_REFERENCE_MAX));

/**
 * Every key of a capsule spec. CapsuleSpecSchema adds one alias on top: `memory` as a
 * size ("512Mi"), stored as `memoryBytes`.
 */
export const CapsuleSpecFieldsSchema = z.strictObject({
  name: CapsuleNameSchema,
  /** A registry reference (`ubuntu:22.04`) or the name of an imported image. */
  image: ImageReferenceSchema,
  /** Replaces the image's entrypoint when set. */
  entrypoint: z.array(z.string()).max(256).optional(),
  /** Replaces the image's cmd when set. */
  command: z.array(z.string()).max(4096).optional(),
  env: z.record(EnvKeySchema, z.string().max(65536)).default({}),
  workdir: syntaxSchema<string>((v) => parseText(v, 'an absolute path such as "/srv/app"', (t) => parseGuestPath(t, 'the working directory')))
    .pipe(z.string().max(4096))
    .optional(),
  /** Numeric `uid` or `uid:gid`; the image's user otherwise. */
  user: syntaxSchema<string>((v) => parseText(v, 'a user such as "1000:1000"', parseCapsuleUser)).optional(),
  hostname: syntaxSchema<string>((v) => parseText(v, 'a host name such as "web-1"', (t) => parseDnsName(t, 'hostname'))).optional(),
  volumes: z.array(VolumeSchema).max(64).default([]),
  /** Fractional CPUs: 0.5 is half of one CPU's time. */
  cpus: z.number().positive().max(1024).optional(),
  /** A size as a person writes it ("512Mi"); becomes memoryBytes. */
  memory: CapsuleMemorySchema.optional(),
  memoryBytes: z
    .number()
    .int()
    .min(MIN_MEMORY_BYTES, `memory must be at least ${MIN_MEMORY_BYTES} bytes (${CAPSULE_MEMORY.minMiB} MiB)`)
    .max(CAPSULE_MEMORY.maxMiB * MEBIBYTE)
    .optional(),
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
  /** The NovaFile project that owns the capsule; absent: unmanaged. */
  project: nameSchema('project').optional(),
  /** Probed by the helper while the capsule runs; shown as `health` on the capsule. */
  health: HealthCheckSchema.optional(),
  /** GPU device nodes given to the capsule at each start ("renderD128", "card0"), or "all" of /dev/dri's. */
  gpus: CapsuleGpusSchema.optional(),
  /** Started by the helper when the host boots, with the VMs, in order (vm-lifecycle.ts). */
  autostart: AutostartSchema.optional(),
});

/** What `capsule.create` takes and what a capsule record keeps: `memory` is folded into memoryBytes. */
export const CapsuleSpecSchema = CapsuleSpecFieldsSchema.superRefine((spec, ctx) => {
  if (spec.memory !== undefined && spec.memoryBytes !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['memory'], message: 'give memory or memoryBytes, not both' });
  }
}).transform(({ memory, ...spec }) => (memory === undefined ? spec : { ...spec, memoryBytes: memory * MEBIBYTE }));
export type CapsuleSpec = z.output<typeof CapsuleSpecSchema>;
export type CapsuleSpecIn = z.input<typeof CapsuleSpecSchema>;

/** Spec keys `capsule.update` changes; the rest (image, runtime, user namespace, project) are fixed at create. */
export const CAPSULE_UPDATABLE_KEYS = [
  'entrypoint', 'command', 'env', 'workdir', 'user', 'hostname', 'volumes', 'cpus', 'memory', 'memoryBytes',
  'pids', 'ioWeight', 'restart', 'stopTimeoutSec', 'network', 'address', 'ports', 'health', 'gpus', 'autostart',
] as const;

const f = CapsuleSpecFieldsSchema.shape;
/**
 * Changes to a stopped (or created) capsule's spec, applied at its next start. Absent keys
 * stay as they are; null removes an optional one (a limit, the network, the health check);
 * env, volumes and ports replace the whole map or list. Checked as create checks a spec.
 */
export const CapsuleUpdateSpecSchema = z.strictObject({
  name: CapsuleNameSchema,
  entrypoint: f.entrypoint.unwrap().nullable().optional(),
  command: f.command.unwrap().nullable().optional(),
  env: f.env.unwrap().optional(),
  workdir: f.workdir.unwrap().nullable().optional(),
  user: f.user.unwrap().nullable().optional(),
  hostname: f.hostname.unwrap().nullable().optional(),
  volumes: f.volumes.unwrap().optional(),
  cpus: f.cpus.unwrap().nullable().optional(),
  /** A size as a person writes it ("1g"); becomes memoryBytes. */
  memory: f.memory.unwrap().optional(),
  memoryBytes: f.memoryBytes.unwrap().nullable().optional(),
  pids: f.pids.unwrap().nullable().optional(),
  ioWeight: f.ioWeight.unwrap().nullable().optional(),
  restart: f.restart.unwrap().optional(),
  stopTimeoutSec: f.stopTimeoutSec.unwrap().optional(),
  network: f.network.unwrap().nullable().optional(),
  address: f.address.unwrap().nullable().optional(),
  ports: f.ports.unwrap().optional(),
  health: f.health.unwrap().nullable().optional(),
  gpus: f.gpus.unwrap().nullable().optional(),
  autostart: f.autostart.unwrap().nullable().optional(),
}).refine((u) => u.memory === undefined || u.memoryBytes === undefined, { path: ['memory'], message: 'give memory or memoryBytes, not both' });
export type CapsuleUpdateSpec = z.output<typeof CapsuleUpdateSpecSchema>;
export type CapsuleUpdateSpecIn = z.input<typeof CapsuleUpdateSpecSchema>;

/**
 * The spec `update` asks for: the current one with the changes laid over it (null removes a
 * key), still to be validated with CapsuleSpecSchema as a create is.
 */
export function applyCapsuleUpdate(spec: CapsuleSpec, update: CapsuleUpdateSpec): CapsuleSpecIn {
  const next: Record<string, unknown> = { ...spec };
  for (const key of CAPSULE_UPDATABLE_KEYS) {
    const value = update[key];
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (update.memory !== undefined) delete next.memoryBytes;
  return next as CapsuleSpecIn;
}

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
  /** The health check's verdict while running; null without a check or when not running. */
  health: GuestHealthSchema.nullable().default(null),
  /** The GPU device nodes the running capsule was given (spec.gpus resolved at its start); absent: none. */
  gpuDevices: z.array(GpuDeviceSchema).optional(),
});
export type Capsule = z.infer<typeof CapsuleSchema>;

export const CapsuleSnapshotSchema = z.strictObject({
  name: z.string(),
  createdAt: z.string(),
  /** The archive's size; null for a btrfs snapshot, whose own share is unknown without quotas. */
  sizeBytes: z.number().int().nullable(),
  kind: z.enum(['archive', 'btrfs']),
  /** Never pruned by a snapshot policy; absent in records older than retention. */
  keepForever: z.boolean().optional(),
  /** Taken by the helper's snapshot schedule, so retention may prune it; absent = taken by hand. */
  scheduled: z.boolean().optional(),
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

