// Capsules (persistent OCI containers) and their OCI images: every verb the helper serves
// for them, each with strict schemas and its polkit action: reads (lists, logs, metrics) under
// org.nova.capsule.view, changes, exec and terminals under org.nova.capsule.manage. OCI
// images are `ociImage.*`, apart from the VM disk library (`image.*`).
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { brokenList } from '../broken-record.js';
import {
  CapsuleMetricsSchema,
  CapsuleNameSchema,
  CapsuleSchema,
  CapsuleSnapshotNameSchema,
  CapsuleSnapshotSchema,
  CapsuleSpecSchema,
  CapsuleStateSchema,
  CapsuleUpdateSpecSchema,
  LogLineSchema,
  OciImageSchema,
} from '../capsule.js';
import { HealthChangedSchema } from '../health.js';
import { nameSchema } from '../vocabulary/resource-name.js';
import { defineMethod } from './define.js';
import { snapshotPolicyMethods } from './snapshot-policy-api.js';

const view = { by: 'helper', action: POLKIT_ACTIONS.capsuleView } as const;
const manage = { by: 'helper', action: POLKIT_ACTIONS.capsuleManage } as const;
const byName = z.strictObject({ name: CapsuleNameSchema });
const ok = z.strictObject({ ok: z.literal(true) });
const snapshotParams = z.strictObject({ name: CapsuleNameSchema, snapshot: CapsuleSnapshotNameSchema });
/** A copied root filesystem, a snapshot archive or an image unpack: minutes on a slow disk. */
const JOB_TIMEOUT_MS = 15 * 60_000;
const policy = snapshotPolicyMethods(CapsuleNameSchema, view, manage);
/** A pull over a slow link: skopeo itself is bounded at 30 minutes by the helper. */
export const PULL_TIMEOUT_MS = 31 * 60_000;
/** How long one `capsule.logs` call may wait for new lines (follow); below the call timeout. */
export const MAX_LOG_WAIT_MS = 20_000;
/** Lines per `capsule.logs` page; the cursor of a full page leads to the next one. */
export const MAX_LOG_PAGE_LINES = 2000;
/** Output kept per stream from `capsule.exec`; the rest is cut and flagged. */
export const MAX_EXEC_OUTPUT_BYTES = 256 * 1024;

/** The local name an OCI image is imported or pulled under: `NAME[:TAG]`. */
const OciImageNameSchema = nameSchema('oci-image');

/** An image by the name it is listed under, its id, or the registry reference it was pulled as. */
const ImageRefSchema = z.string().min(1).max(512);

export const CapsuleLogPageSchema = z.strictObject({
  lines: z.array(LogLineSchema.extend({ seq: z.number().int() })),
  /** Pass back as `afterSeq` to get only newer lines (follow); -1 while the log is empty. */
  cursor: z.number().int(),
});
export type CapsuleLogPage = z.infer<typeof CapsuleLogPageSchema>;

export const CapsuleExecResultSchema = z.strictObject({
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  /** True when stdout or stderr exceeded MAX_EXEC_OUTPUT_BYTES and was cut. */
  truncated: z.boolean(),
});
export type CapsuleExecResult = z.infer<typeof CapsuleExecResultSchema>;

export const TerminalSizeSchema = z.strictObject({
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
});

export const CapsuleTerminalSchema = z.strictObject({
  /** A one-connection unix socket, owned by the caller, speaking src-shared/terminal-protocol.ts. */
  socketPath: z.string(),
  /** The socket is removed when nobody connects within this time. */
  connectWithinMs: z.number().int(),
});
export type CapsuleTerminal = z.infer<typeof CapsuleTerminalSchema>;

export const capsuleMethods = {
  'capsule.list': defineMethod({
    summary: 'Every capsule with its image, state and last exit; capsules whose record cannot be read under broken',
    params: z.strictObject({}),
    result: z.strictObject({ capsules: z.array(CapsuleSchema), broken: brokenList }),
    served: view,
  }),
  'capsule.get': defineMethod({ summary: 'One capsule: spec, image, state, pid, last exit and reason', params: byName, result: CapsuleSchema, served: view }),
  'capsule.create': defineMethod({
    summary: 'Create a capsule from an image (its writable layer, bundle and logs), stopped',
    params: CapsuleSpecSchema,
    result: CapsuleSchema,
    served: manage,
    timeoutMs: JOB_TIMEOUT_MS,
  }),
  'capsule.update': defineMethod({
    summary: "Change a stopped capsule's spec (limits, env, command, network, ports, volumes, health...), applied at its next start",
    params: CapsuleUpdateSpecSchema,
    result: CapsuleSchema,
    served: manage,
  }),
  'capsule.start': defineMethod({ summary: 'Start the capsule (its restart policy applies from now on)', params: byName, result: CapsuleSchema, served: manage, timeoutMs: 60_000 }),
  'capsule.stop': defineMethod({
    summary: 'SIGTERM, then SIGKILL after the timeout (the spec\'s stopTimeoutSec unless given); force kills at once, cutting short a stop that waits',
    params: z.strictObject({ name: CapsuleNameSchema, timeoutSec: z.number().int().min(0).max(600).optional(), force: z.boolean().default(false) }),
    result: CapsuleSchema,
    served: manage,
    timeoutMs: 11 * 60_000,
  }),
  'capsule.restart': defineMethod({ summary: 'Stop, then start again', params: byName, result: CapsuleSchema, served: manage, timeoutMs: 11 * 60_000 }),
  'capsule.pause': defineMethod({ summary: 'Freeze every process of the capsule', params: byName, result: CapsuleSchema, served: manage }),
  'capsule.resume': defineMethod({ summary: 'Thaw a paused capsule', params: byName, result: CapsuleSchema, served: manage }),
  'capsule.delete': defineMethod({
    summary: 'Delete a capsule with its writable layer, logs and snapshots; force stops it first',
    params: z.strictObject({ name: CapsuleNameSchema, force: z.boolean().default(false) }),
    result: ok,
    served: manage,
    timeoutMs: 120_000,
  }),
  'capsule.exec': defineMethod({
    summary: 'Run one command in a running capsule and return its exit code and output',
    params: z.strictObject({
      name: CapsuleNameSchema,
      command: z.array(z.string().max(65_536)).min(1).max(4096),
      env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string().max(65_536)).optional(),
      cwd: z.string().max(4096).regex(/^\//, 'the working directory is an absolute path').optional(),
      timeoutSec: z.number().int().min(1).max(3600).default(60),
    }),
    result: CapsuleExecResultSchema,
    served: manage,
    timeoutMs: 3600_000 + 30_000,
  }),
  'capsule.logs': defineMethod({
    summary: 'Log lines (stdout, stderr) with timestamps; follow by passing the cursor back as afterSeq',
    params: z.strictObject({
      name: CapsuleNameSchema,
      /** Only lines at or after this time (ISO 8601). */
      since: z.iso.datetime({ offset: true }).optional(),
      /** Only lines after this cursor. */
      afterSeq: z.number().int().min(-1).optional(),
      /** At most this many lines, the newest (ignored with afterSeq: a follow never skips lines). */
      tail: z.number().int().min(0).max(MAX_LOG_PAGE_LINES).optional(),
      /** With afterSeq: wait up to this long for a new line before answering an empty page. */
      waitMs: z.number().int().min(0).max(MAX_LOG_WAIT_MS).default(0),
    }),
    result: CapsuleLogPageSchema,
    served: view,
  }),
  'capsule.metrics': defineMethod({ summary: 'CPU, memory, IO and pids from the capsule\'s cgroup, now', params: byName, result: CapsuleMetricsSchema, served: view }),
  'capsule.adopt': defineMethod({
    summary: "Make a capsule of no project the project's own, so nova plan and nova up manage it (nova export --adopt)",
    params: z.strictObject({ name: CapsuleNameSchema, project: nameSchema('project') }),
    result: CapsuleSchema,
    served: manage,
  }),
  'capsule.snapshotCreate': defineMethod({
    summary: 'Archive the writable layer (a running capsule is frozen meanwhile); keepForever: never pruned by its snapshot policy',
    params: snapshotParams.extend({ keepForever: z.boolean().default(false) }),
    result: CapsuleSnapshotSchema,
    served: manage,
    timeoutMs: JOB_TIMEOUT_MS,
  }),
  'capsule.snapshotList': defineMethod({
    summary: "A capsule's snapshots, oldest first",
    params: byName,
    result: z.strictObject({ snapshots: z.array(CapsuleSnapshotSchema) }),
    served: view,
  }),
  'capsule.snapshotRestore': defineMethod({ summary: 'Put the writable layer back as it was (stopped capsules only)', params: snapshotParams, result: ok, served: manage, timeoutMs: JOB_TIMEOUT_MS }),
  'capsule.snapshotDelete': defineMethod({ summary: 'Delete a snapshot', params: snapshotParams, result: ok, served: manage }),
  'capsule.snapshotPolicySet': policy.policySet,
  'capsule.snapshotPolicyGet': policy.policyGet,
  'capsule.snapshotPolicyList': policy.policyList,
  'capsule.snapshotPrune': policy.prune,
  'capsule.terminalOpen': defineMethod({
    summary: 'An interactive shell (or command) under a pty, served on a fresh socket only the caller can open',
    params: z.strictObject({
      name: CapsuleNameSchema,
      command: z.array(z.string().max(65_536)).min(1).max(256).optional(),
      ...TerminalSizeSchema.shape,
    }),
    result: CapsuleTerminalSchema,
    served: manage,
  }),
  'ociImage.pull': defineMethod({
    summary: 'Pull an image from a registry, as an operation (its progress: blobs and bytes copied, then unpacking)',
    params: z.strictObject({
      reference: ImageRefSchema,
      /** List it under this local name (`NAME[:TAG]`) rather than its full reference. */
      name: OciImageNameSchema.optional(),
      /** Off only for a registry on 127.0.0.1 (a local test or mirror registry over plain HTTP). */
      tlsVerify: z.boolean().default(true),
    }),
    result: OciImageSchema,
    served: manage,
    timeoutMs: PULL_TIMEOUT_MS,
  }),
  'ociImage.import': defineMethod({
    summary: 'Import a rootfs tarball (tar, tar.gz), an OCI archive or a Docker archive under a name, as an operation',
    params: z.strictObject({ path: z.string().min(1).max(4096), name: OciImageNameSchema }),
    result: OciImageSchema,
    served: manage,
    timeoutMs: JOB_TIMEOUT_MS,
  }),
  'ociImage.list': defineMethod({
    summary: 'Every OCI image with its config',
    params: z.strictObject({}),
    result: z.strictObject({ images: z.array(OciImageSchema) }),
    served: view,
  }),
  'ociImage.inspect': defineMethod({
    summary: 'One image: digest, size and config (entrypoint, cmd, env, user, workdir, exposed ports)',
    params: z.strictObject({ name: ImageRefSchema }),
    result: OciImageSchema,
    served: view,
  }),
  'ociImage.remove': defineMethod({
    summary: 'Remove an image no capsule uses',
    params: z.strictObject({ name: ImageRefSchema }),
    result: z.strictObject({ id: z.string(), name: z.string() }),
    served: manage,
    timeoutMs: 120_000,
  }),
} as const;

/** Events this feature emits (signals to refetch); merged into novaEvents. */
export const capsuleEvents = {
  'capsule.stateChanged': z.strictObject({ name: z.string(), state: z.union([CapsuleStateSchema, z.literal('deleted')]) }),
  'ociImage.changed': z.strictObject({ name: z.string() }),
  /** The verdict of a running capsule's health check changed; null once its checks stop. */
  'capsule.healthChanged': HealthChangedSchema,
} as const;

export type CapsuleEventName = keyof typeof capsuleEvents;
export type CapsuleEvent = { [E in CapsuleEventName]: { name: E; payload: z.infer<(typeof capsuleEvents)[E]> } }[CapsuleEventName];
