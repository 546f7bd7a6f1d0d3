// Virtual machines and their images: every verb the helper serves for them, each with
// its schemas and its polkit action: reads under org.nova.vm.view, changes (and the
// console, which hands over the guest's keyboard) under org.nova.vm.manage. create, start, clone and the
// snapshot verbs run as operations (progress, cancel: see operation-api.ts); every verb
// that changes a VM holds its lock, so one asked for while an operation runs on that VM
// is refused as `locked`, naming the operation.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { brokenList } from '../broken-record.js';
import {
  ImageListEntrySchema,
  ImageSchema,
  OsProfileSchema,
  ProjectNameSchema,
  SnapshotNameSchema,
  SnapshotSchema,
  SnapshotTreeSchema,
  VmConsoleInfoSchema,
  VmCreateSpecSchema,
  VmInfoSchema,
  VmMetricsSchema,
  VmNameSchema,
  VmStateSchema,
  VmUpdateSpecSchema,
} from '../vm.js';
import { HealthChangedSchema } from '../health.js';
import { HandedFileSchema } from '../wire/descriptor-handoff.js';
import { defineMethod } from './define.js';
import { snapshotPolicyMethods } from './snapshot-policy-api.js';

const view = { by: 'helper', action: POLKIT_ACTIONS.vmView } as const;
const manage = { by: 'helper', action: POLKIT_ACTIONS.vmManage } as const;
const byName = z.strictObject({ name: VmNameSchema });
const ok = z.strictObject({ ok: z.literal(true) });
/** Snapshots with RAM and disk conversions are jobs: minutes, not seconds. */
const JOB_TIMEOUT_MS = 10 * 60_000;
const policy = snapshotPolicyMethods(VmNameSchema, view, manage);
/** Bytes per `vm.logs` page; a follower asks again from the offset it was given. */
export const SERIAL_LOG_PAGE_MAX = 256 * 1024;

export const vmMethods = {
  'vm.list': defineMethod({
    summary: 'Every VM with its state; VMs whose definition cannot be read under broken',
    params: z.strictObject({}),
    result: z.strictObject({ vms: z.array(VmInfoSchema), broken: brokenList }),
    served: view,
  }),
  'vm.get': defineMethod({ summary: 'One VM: definition, state, pid', params: byName, result: VmInfoSchema, served: view }),
  'vm.showCommand': defineMethod({
    summary: 'The QEMU command line the VM\'s next start would run (as Proxmox\'s qm showcmd), with notes on what only a start decides; changes nothing',
    params: byName,
    result: z.strictObject({ argv: z.array(z.string()), notes: z.array(z.string()) }),
    served: view,
  }),
  'vm.create': defineMethod({ summary: 'Create a VM (disks, overlays on images, from a template); an operation', params: VmCreateSpecSchema, result: VmInfoSchema, served: manage, timeoutMs: JOB_TIMEOUT_MS }),
  'vm.update': defineMethod({
    summary: "Change a VM's CPUs, memory, machine, firmware, TPM, Hyper-V, network, cloud-init seed, display, command line, health check, boot order and devices (disks, CD drives, NIC); on a running VM, CD media, disk growth and the NIC's link apply now, the rest at the next start (pendingChanges)",
    params: VmUpdateSpecSchema,
    result: VmInfoSchema,
    served: manage,
  }),
  'vm.start': defineMethod({ summary: 'Start QEMU; for serial-console guests, wait for first output (boot watchdog); an operation, cancelling leaves the VM stopped', params: byName, result: VmInfoSchema, served: manage, timeoutMs: 120_000 }),
  'vm.stop': defineMethod({
    summary: 'ACPI power button, then quit after timeoutMs; force quits at once',
    params: z.strictObject({ name: VmNameSchema, force: z.boolean().default(false), timeoutMs: z.number().int().min(0).max(600_000).default(30_000) }),
    result: z.strictObject({ graceful: z.boolean() }),
    served: manage,
    timeoutMs: 660_000,
  }),
  'vm.pause': defineMethod({ summary: 'Pause the guest CPUs', params: byName, result: VmInfoSchema, served: manage }),
  'vm.resume': defineMethod({ summary: 'Resume a paused guest', params: byName, result: VmInfoSchema, served: manage }),
  'vm.reboot': defineMethod({ summary: 'Hard reset (as the reset button)', params: byName, result: VmInfoSchema, served: manage }),
  'vm.suspend': defineMethod({
    summary: "Suspend to disk: the guest's state saved in its folder and QEMU stopped (state suspended); the next start resumes it; an operation",
    params: byName,
    result: VmInfoSchema,
    served: manage,
    timeoutMs: 1_860_000,
  }),
  'vm.delete': defineMethod({
    summary: 'Delete a VM; force stops it first; keepDisks leaves its disk files',
    params: z.strictObject({ name: VmNameSchema, force: z.boolean().default(false), keepDisks: z.boolean().default(false) }),
    result: ok,
    served: manage,
    timeoutMs: 60_000,
  }),
  'vm.adopt': defineMethod({
    summary: "Make a VM of no project the project's own, so nova plan and nova up manage it (nova export --adopt)",
    params: z.strictObject({ name: VmNameSchema, project: ProjectNameSchema }),
    result: VmInfoSchema,
    served: manage,
  }),
  'vm.setTemplate': defineMethod({
    summary: 'Mark a stopped VM as a template (or back)',
    params: z.strictObject({ name: VmNameSchema, template: z.boolean() }),
    result: VmInfoSchema,
    served: manage,
  }),
  'vm.clone': defineMethod({
    summary: 'Clone a stopped VM: linked (overlays, templates only) or full (copies, progress per disk); an operation, cancelling keeps nothing',
    params: z.strictObject({ source: VmNameSchema, target: VmNameSchema, linked: z.boolean().default(false) }),
    result: VmInfoSchema,
    served: manage,
    timeoutMs: JOB_TIMEOUT_MS,
  }),
  'vm.snapshotCreate': defineMethod({
    summary: 'Snapshot: with RAM while running (snapshot-save job, not interruptible), disks only while stopped; an operation',
    params: z.strictObject({
      name: VmNameSchema,
      snapshot: SnapshotNameSchema,
      description: z.string().max(1024).default(''),
      keepForever: z.boolean().default(false),
      /** false on a running VM: its disks only, while it runs on; a stopped VM's snapshot never has RAM. */
      withMemory: z.boolean().default(true),
    }),
    result: SnapshotSchema,
    served: manage,
    timeoutMs: JOB_TIMEOUT_MS,
  }),
  'vm.snapshotList': defineMethod({ summary: 'The snapshot tree', params: byName, result: SnapshotTreeSchema, served: view }),
  'vm.snapshotRestore': defineMethod({
    summary: 'Go back to a snapshot; an operation',
    params: z.strictObject({ name: VmNameSchema, snapshot: SnapshotNameSchema }),
    result: ok,
    served: manage,
    timeoutMs: JOB_TIMEOUT_MS,
  }),
  'vm.snapshotDelete': defineMethod({
    summary: 'Delete a snapshot; its children move to its parent; an operation, not interrupted once begun',
    params: z.strictObject({ name: VmNameSchema, snapshot: SnapshotNameSchema }),
    result: ok,
    served: manage,
    timeoutMs: JOB_TIMEOUT_MS,
  }),
  'vm.snapshotPolicySet': policy.policySet,
  'vm.snapshotPolicyGet': policy.policyGet,
  'vm.snapshotPolicyList': policy.policyList,
  'vm.snapshotPrune': policy.prune,
  'vm.consoleInfo': defineMethod({ summary: 'Serial socket and log, VNC websocket and password, SPICE socket', params: byName, result: VmConsoleInfoSchema, served: manage }),
  'vm.logs': defineMethod({
    summary: "A page of the serial console's log of the VM's current run, from a byte offset: how `nova logs vm` reads a remote host's guest",
    params: z.strictObject({ name: VmNameSchema, offset: z.number().int().nonnegative().default(0), maxBytes: z.number().int().positive().max(SERIAL_LOG_PAGE_MAX).default(SERIAL_LOG_PAGE_MAX) }),
    result: z.strictObject({ text: z.string(), nextOffset: z.number().int().nonnegative(), size: z.number().int().nonnegative() }),
    served: view,
  }),
  'vm.metrics': defineMethod({ summary: 'CPU %, RSS, disk and network bytes of a running VM, now', params: byName, result: VmMetricsSchema, served: view }),
  'image.list': defineMethod({ summary: 'The image library, each image with the VMs that use it', params: z.strictObject({}), result: z.array(ImageListEntrySchema), served: view }),
  'image.import': defineMethod({
    summary: "Import a disk (converted to qcow2) or ISO into the library: a path the helper opens inside the allowed folders for the caller, or a file the caller opened and handed over by descriptor (descriptor-handoff.ts), from anywhere the caller can read",
    params: z.strictObject({ path: z.string().max(4096).optional(), descriptor: HandedFileSchema.optional(), name: ImageSchema.shape.name }),
    result: ImageSchema,
    served: manage,
    timeoutMs: 6 * 3600_000,
  }),
  'image.detectOs': defineMethod({
    summary: "The OS on an installer ISO (osinfo-detect) with osinfo-db's recommended CPUs, memory and disk; null when osinfo does not recognise it",
    params: z.strictObject({ path: z.string().max(4096) }),
    result: OsProfileSchema.nullable(),
    // The helper opens the file on the caller's behalf (their read right checked), as for an import.
    served: manage,
  }),
  'image.remove': defineMethod({ summary: 'Remove an image no VM uses', params: z.strictObject({ name: ImageSchema.shape.name }), result: ok, served: manage }),
} as const;

/** Events this feature emits; to be merged into novaEvents. */
export const vmEvents = {
  'vm.stateChanged': z.strictObject({ name: VmNameSchema, state: VmStateSchema, reason: z.string().nullable() }),
  'vm.metricsSampled': VmMetricsSchema,
  /** The verdict of a running VM's health check changed; null once its checks stop. */
  'vm.healthChanged': HealthChangedSchema,
} as const;

export type VmEventName = keyof typeof vmEvents;
export type VmEvent = { [E in VmEventName]: { name: E; payload: z.infer<(typeof vmEvents)[E]> } }[VmEventName];
