// A capsule's record (STATE/capsules/NAME/capsule.json): its spec, image, what the user
// last asked for, how its last run ended and, while it runs, the monitor watching it.
// Versioned through RecordStore's format; version 1 named the run's monitor "shim".
import { z } from 'zod';
import {
  CapsuleExitSchema,
  CapsuleSnapshotSchema,
  CapsuleSpecSchema,
  CapsuleUserNamespaceSchema,
  type Capsule,
  type CapsuleSnapshot,
} from '../../../src-shared/capsule.js';
import { GpuDeviceSchema } from '../../../src-shared/capsule-gpus.js';
import type { RecordFormat } from '../state/record-store.js';

/** conmon runs every capsule now; `nova-shim` runs were started by Nova's former C shim. */
export const MonitorKindSchema = z.enum(['conmon', 'nova-shim']);
export type MonitorKind = z.infer<typeof MonitorKindSchema>;

export const RunRecordSchema = z.strictObject({
  monitor: MonitorKindSchema,
  monitorPid: z.number().int(),
  /** The monitor's start time (/proc/PID/stat field 22): a reused pid is never taken for it. */
  monitorStart: z.string(),
  containerPid: z.number().int().nullable(),
  startedAt: z.string(),
  paused: z.boolean(),
  /** The run's place on its Nova network, kept so a restarted helper can release it. */
  network: z
    .strictObject({ name: z.string(), address: z.string(), hostIfname: z.string(), hostname: z.string(), netns: z.string() })
    .nullable()
    .optional(),
  /** The GPU nodes this run was given, as the capsule's inspect lists them; absent: none. */
  gpuDevices: z.array(GpuDeviceSchema).optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

export const CapsuleRecordSchema = z.strictObject({
  spec: CapsuleSpecSchema,
  imageId: z.string(),
  imageName: z.string(),
  runtime: z.string(),
  rootfsMode: z.enum(['overlay', 'copy']),
  createdAt: z.string(),
  /** What the user last asked for: restart policies only act while this is `running`. */
  desired: z.enum(['running', 'stopped']),
  restartCount: z.number().int(),
  lastExit: CapsuleExitSchema.nullable(),
  run: RunRecordSchema.nullable(),
  /** Set while the restart policy waits to start the capsule again. */
  restartAt: z.string().nullable(),
  /** Decided at create (the writable layer's owner depends on it); absent in older records. */
  userNamespace: CapsuleUserNamespaceSchema.optional(),
});
export type CapsuleRecord = z.infer<typeof CapsuleRecordSchema>;

export const CAPSULE_RECORD: RecordFormat<CapsuleRecord> = {
  what: 'capsule record',
  version: 2,
  schema: CapsuleRecordSchema,
  migrations: {
    // Version 1 ran capsules under Nova's own shim and named it in shimPid and shimStart.
    1: (old) => {
      const run = old.run as Record<string, unknown> | null | undefined;
      if (!run) return old;
      const { shimPid, shimStart, ...rest } = run;
      return { ...old, run: { monitor: 'nova-shim', monitorPid: shimPid, monitorStart: shimStart, ...rest } };
    },
  },
};

/** SNAPSHOTS/NAME.json beside each snapshot; the first ones carried no version. */
export const SNAPSHOT_RECORD: RecordFormat<CapsuleSnapshot> = {
  what: 'capsule snapshot record',
  version: 1,
  schema: CapsuleSnapshotSchema,
  migrations: { 0: (old) => old },
};

/** The API's view of a capsule from its record. */
export function capsuleView(name: string, rec: CapsuleRecord): Capsule {
  let state: Capsule['state'];
  if (rec.run) state = rec.run.paused ? 'paused' : 'running';
  else if (rec.restartAt) state = 'restarting';
  else if (rec.lastExit === null && rec.restartCount === 0) state = 'created';
  else state = 'stopped';
  const net = rec.run?.network;
  return {
    name,
    spec: rec.spec,
    imageId: rec.imageId,
    imageName: rec.imageName,
    state,
    runtime: rec.runtime,
    rootfsMode: rec.rootfsMode,
    pid: rec.run?.containerPid ?? null,
    createdAt: rec.createdAt,
    startedAt: rec.run?.startedAt ?? null,
    lastExit: rec.lastExit,
    restartCount: rec.restartCount,
    network: net ? { name: net.name, address: net.address, hostname: net.hostname, hostIfname: net.hostIfname } : null,
    userNamespace: rec.userNamespace ?? { enabled: false, hostId: null, size: null, reason: 'created before Nova ran capsules in user namespaces' },
    health: null,
    ...(rec.run?.gpuDevices ? { gpuDevices: rec.run.gpuDevices } : {}),
  };
}
