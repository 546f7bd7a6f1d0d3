// The source's side of a live migration. The offer refuses at once what cannot move (host
// devices, shared host folders) and states what the destination needs, a UEFI VM's
// variables file included (a TPM's state needs no file: QEMU's tpm-emulator backend
// carries swtpm's state inside the migration stream). The send copies each disk with `blockdev-mirror` into the
// destination's NBD exports, waits until all are in step, then migrates the memory with
// `pause-before-switchover`: once the guest is paused for the switch, the mirrors finish
// (so every write is on the destination) before the device state leaves. Both streams use
// the destination's one-off TLS credentials. Any failure or cancel undoes it all and the
// guest runs on here; the complete step, called once the destination runs the guest,
// stops this QEMU and removes the VM's copy here. The caller's connection closing cancels
// a send under way; closing after a send that completed, before complete, resumes the
// guest here, left paused with nobody to finish the move: the destination discards its
// copy when that same caller's connection to it closes. (A caller killed in the instant
// between the destination's finish and this complete leaves the guest running on both
// hosts: neither helper can tell that from its side.)
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { MAX_UEFI_VARS_BYTES, type MigrationOffer, type MigrationResult, type MigrationTarget } from '../../../src-shared/api/vm-migration-api.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { usbTargetOf } from '../../../src-shared/vm-passthrough.js';
import { isUefi } from '../../../src-shared/vm-platform.js';
import type { OperationHandle, Requester } from '../operations/operation-manager.js';
import { probeCpuFeatures } from './cpu-features.js';
import { resolvedMachineType } from './machine-type.js';
import type { MigrationHost } from './migration-host.js';
import { addClientCredentials, MIGRATION_TLS_ID } from './migration-tls.js';
import type { QmpClient } from './qmp-client.js';
import type { VmRuntime } from './vm-runtime.js';

/** The disks' progress is polled at this pace; the memory's faster, since the switch-over waits on each look. */
const POLL_MS = 100;
const SWITCH_POLL_MS = 5;
/** Under this much left to copy, the disks are looked at as often as the switch-over. */
const SMALL_REST = 64 * 1024 * 1024;
/** QEMU 7.2 caps a migration at 32 MiB/s by default, a limit meant for shared links: the user moving a VM wants it done. */
const UNCAPPED_BYTES_PER_SECOND = 1024 ** 4;
/** Bounds on each wait: the mirrors reaching step, the memory, and a job ending after cancel. */
const DISK_WAIT_MS = 60 * 60_000;
const MEMORY_WAIT_MS = 60 * 60_000;
const JOB_END_MS = 60_000;

interface QmpMigrationInfo {
  status?: string;
  'error-desc'?: string;
  'total-time'?: number;
  downtime?: number;
  ram?: { total?: number; remaining?: number; transferred?: number; 'dirty-sync-count'?: number };
}

/**
 * Why a VM cannot move, in words; empty when it can. A cold move copies the UEFI variables,
 * the TPM state and read-only disks as files; a live one carries the first two its own way
 * (the offer, the stream), but not a read-only disk.
 */
export function unmovableReasons(def: VmDefinition, move: 'live' | 'cold' = 'live'): string[] {
  const out: string[] = [];
  if (def.devices?.length) out.push(`it has passed-through PCI devices (${def.devices.map((d) => d.address).join(', ')}), whose state stays in the host's hardware`);
  if (def.mdevs?.length) out.push('it has mediated devices (vGPU slices) of this host');
  const hostUsb = (def.usb ?? []).filter((u) => usbTargetOf(u).kind !== 'emulated');
  if (hostUsb.length) out.push(`it has host USB devices (${hostUsb.join(', ')})`);
  if (def.lookingGlass) out.push('it shares memory with this host (Looking Glass)');
  if (def.shares?.length) out.push("it has shared folders of this host's files");
  if (move === 'cold') return out;
  if (def.disks.some((d) => d.readOnly)) out.push('it has a read-only disk');
  return out;
}

export class MigrationSource {
  /** VMs whose send completed, until complete: each one's watch on its caller's connection. */
  private readonly leftPaused = new Map<string, () => void>();

  constructor(private readonly host: MigrationHost) {}

  async offer(name: string, requester: Requester): Promise<MigrationOffer> {
    return this.host.operations.exclusive([vmRef(name)], 'preparing a migration', requester, async () => {
      const def = await this.host.store.loadDefinition(name);
      refuseUnmovable(def);
      const rt = this.runningOf(name);
      const disks = [];
      for (const d of def.disks) disks.push({ id: d.id, format: d.format, virtualSize: await this.host.diskSize(def, d) });
      const machineType = await resolvedMachineType(this.host.runner, this.host.qemuBinary, def.machine);
      if (!machineType) throw new NovaError('internal', `this host's QEMU does not list machine ${def.machine}`);
      const { accel, cpuOff } = rt.record;
      const cpuFeatures = await probeCpuFeatures(this.host.runner, this.host.qemuBinary, accel, cpuOff);
      const uefiVars = isUefi(def.firmware) ? await this.uefiVarsOf(def) : undefined;
      return { definition: def, machineType, accel, disks, cpuFeatures, ...(uefiVars !== undefined ? { uefiVars } : {}) };
    });
  }

  async send(name: string, to: MigrationTarget, postcopy: boolean, requester: Requester): Promise<MigrationResult> {
    const spec = { kind: 'vm.migrateSend', resource: vmRef(name), title: `migration to ${to.host}` } as const;
    this.forget(name);
    const result = await this.host.operations.run(spec, requester, async (op) => {
      // Nobody could finish the move any more: it is undone, as a cancel.
      const stopWatching = requester.onDisconnect?.(() => {
        try {
          this.host.operations.cancel(op.id, null);
        } catch {
          // Already ended.
        }
      });
      try {
        return await this.sendNow(name, to, postcopy, op);
      } finally {
        stopWatching?.();
      }
    });
    const unwatch = requester.onDisconnect?.(() => void this.resumeLeftPaused(name));
    if (unwatch) this.leftPaused.set(name, unwatch);
    return result;
  }

  private async sendNow(name: string, to: MigrationTarget, postcopy: boolean, op: OperationHandle): Promise<MigrationResult> {
    op.progress({ phase: 'connecting to the destination', cancellable: true });
    const def = await this.host.store.loadDefinition(name);
    const rt = this.runningOf(name);
    refuseUnmovable(def);
    const { qmp } = rt;
    const wasRunning = (await qmp.queryStatus()).status === 'running';
    // Registered first, so it runs last: whatever was undone, the guest runs on here.
    op.onUndo(() => resumeIfStopped(qmp, wasRunning));
    const owner = await qemuOwner(rt);
    await addClientCredentials(qmp, join(this.host.layout.vmRunDir(name), 'migration-tls'), to.tls, owner);
    op.onUndo(() => qmp.execute('object-del', { id: MIGRATION_TLS_ID }).catch(() => undefined));
    const started = Date.now();
    const diskBytes = await this.mirrorDisks(def, qmp, to, op);
    const memory = await this.migrateMemory(qmp, to, postcopy, def, op);
    // Switched over: the destination has the guest; this QEMU lets go of its connections.
    for (const d of def.disks) await qmp.execute('blockdev-del', { 'node-name': targetNode(d.id) }).catch(() => undefined);
    await qmp.execute('object-del', { id: MIGRATION_TLS_ID }).catch(() => undefined);
    await resetMigrationSettings(qmp);
    return { downtimeMs: memory.downtime ?? 0, totalMs: Date.now() - started, diskBytes, ramBytes: memory.ram?.transferred ?? 0 };
  }

  /** The guest runs on the destination: this QEMU stops and the VM's copy here goes. Only after a completed migration. */
  async complete(name: string, requester: Requester): Promise<void> {
    this.forget(name);
    await this.host.operations.exclusive([vmRef(name)], 'removing the migrated VM', requester, async () => {
      const def = await this.host.store.loadDefinition(name);
      const rt = this.host.runtimeOf(name);
      if (rt) {
        // postmigrate: QEMU's own word that its guest left whole.
        const status = (await rt.qmp.queryStatus()).status;
        if (status !== 'postmigrate') throw new NovaError('failed_precondition', `VM ${name} is ${status} here, not migrated away: nothing is removed`);
        await rt.forceStop();
        await rt.ended;
      }
      await this.host.removeVm(def);
    });
  }

  /** The caller of a completed send is gone before complete: the guest, paused since the switch-over, runs on here. */
  private async resumeLeftPaused(name: string): Promise<void> {
    this.forget(name);
    await this.host.operations
      .exclusive([vmRef(name)], 'resuming a VM whose migration was abandoned', null, async () => {
        const rt = this.host.runtimeOf(name);
        if (!rt || rt.isStopping) return;
        const status = (await rt.qmp.queryStatus()).status;
        if (status !== 'postmigrate') return;
        this.host.logger.warn({ vm: name }, 'the caller of a completed migration left before the move was finished: the VM runs on here');
        await rt.resume();
      })
      .catch((err: unknown) => this.host.logger.error({ vm: name, err }, 'could not resume a VM whose migration was abandoned'));
  }

  private forget(name: string): void {
    this.leftPaused.get(name)?.();
    this.leftPaused.delete(name);
  }

  /** The variables file as pflash has written it so far; the stream brings the rest. */
  private async uefiVarsOf(def: VmDefinition): Promise<string> {
    const path = this.host.layout.runtimePaths(def.name).uefiVars;
    const vars = await readFile(path).catch((err: unknown) => {
      throw new NovaError('failed_precondition', `VM ${def.name}'s UEFI variables (${path}) cannot be read: ${(err as Error).message}`);
    });
    if (vars.length > MAX_UEFI_VARS_BYTES) throw new NovaError('failed_precondition', `VM ${def.name}'s UEFI variables file is ${vars.length} bytes, more than a migration carries (${MAX_UEFI_VARS_BYTES})`);
    return vars.toString('base64');
  }

  private runningOf(name: string): VmRuntime {
    const rt = this.host.runtimeOf(name);
    if (!rt || rt.isStopping || (rt.state !== 'running' && rt.state !== 'paused')) {
      throw new NovaError('failed_precondition', `VM ${name} is not running: only a running VM moves live`);
    }
    return rt;
  }

  /** Each disk into its NBD export on the destination, until every mirror is in step (ready). */
  private async mirrorDisks(def: VmDefinition, qmp: QmpClient, to: MigrationTarget, op: OperationHandle): Promise<number> {
    for (const d of def.disks) {
      op.throwIfCancelled();
      await qmp.execute('blockdev-add', {
        driver: 'nbd',
        'node-name': targetNode(d.id),
        server: { type: 'inet', host: to.host, port: String(to.nbdPort) },
        export: d.id,
        'tls-creds': MIGRATION_TLS_ID,
      });
      op.onUndo(() => qmp.execute('blockdev-del', { 'node-name': targetNode(d.id) }).catch(() => undefined));
      await qmp.execute('blockdev-mirror', { 'job-id': jobId(d.id), device: d.id, target: targetNode(d.id), sync: 'full', 'auto-dismiss': false });
      op.onUndo(() => endJob(qmp, jobId(d.id), true));
    }
    const jobs = def.disks.map((d) => jobId(d.id));
    const deadline = Date.now() + DISK_WAIT_MS;
    for (;;) {
      op.throwIfCancelled();
      const mine = (await qmp.queryJobs()).filter((j) => jobs.includes(j.id));
      const failed = mine.find((j) => j.error !== undefined || j.status === 'concluded' || j.status === 'aborting');
      if (failed || mine.length < jobs.length) throw new NovaError('internal', `copying ${failed?.id.replace(/^migration-/, '') ?? 'a disk'} to ${def.name}'s destination failed${failed?.error ? `: ${failed.error}` : ''}`);
      const done = mine.reduce((n, j) => n + j['current-progress'], 0);
      const total = mine.reduce((n, j) => n + j['total-progress'], 0);
      if (mine.every((j) => j.status === 'ready')) return total;
      op.progress({ phase: 'copying the disks', cancellable: true, bytesDone: done, bytesTotal: total, fraction: total > 0 ? done / total : null });
      if (Date.now() > deadline) throw new NovaError('timeout', `the disks of ${def.name} did not reach the destination within ${DISK_WAIT_MS / 60_000} minutes`);
      await sleep(total - done < SMALL_REST ? SWITCH_POLL_MS : POLL_MS);
    }
  }

  /** The memory, then the switch-over: paused before it, the mirrors finish, then the device state goes. */
  private async migrateMemory(qmp: QmpClient, to: MigrationTarget, postcopy: boolean, def: VmDefinition, op: OperationHandle): Promise<QmpMigrationInfo> {
    op.onUndo(() => resetMigrationSettings(qmp));
    await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'pause-before-switchover', state: true }, { capability: 'postcopy-ram', state: postcopy }] });
    const host = isIP(to.host) === 6 ? `[${to.host}]` : to.host;
    await qmp.execute('migrate-set-parameters', { 'tls-creds': MIGRATION_TLS_ID, 'tls-hostname': to.host, 'max-bandwidth': UNCAPPED_BYTES_PER_SECOND });
    await qmp.execute('migrate', { uri: `tcp:${host}:${to.migrationPort}` });
    op.onUndo(() => cancelMigration(qmp));
    let postcopyStarted = false;
    const deadline = Date.now() + MEMORY_WAIT_MS;
    for (;;) {
      op.throwIfCancelled();
      const info = await qmp.execute<QmpMigrationInfo>('query-migrate');
      switch (info.status) {
        case 'completed':
          return info;
        case 'failed':
        case 'cancelled':
          throw new NovaError('internal', `moving ${def.name}'s memory failed: QEMU's migration ${info.status}${info['error-desc'] ? `: ${info['error-desc']}` : ''}`);
        case 'pre-switchover':
          op.progress({ phase: 'switching over: finishing the disks', cancellable: false });
          for (const d of def.disks) await endJob(qmp, jobId(d.id), false);
          await qmp.execute('migrate-continue', { state: 'pre-switchover' });
          break;
        default: {
          const total = info.ram?.total ?? null;
          const done = total !== null && info.ram?.remaining !== undefined ? total - info.ram.remaining : null;
          if (postcopy && !postcopyStarted && (info.ram?.['dirty-sync-count'] ?? 0) >= 2) {
            await qmp.execute('migrate-start-postcopy');
            postcopyStarted = true;
          }
          op.progress({ phase: 'copying the memory', cancellable: true, ...(done !== null ? { bytesDone: done } : {}), ...(total !== null ? { bytesTotal: total, fraction: total > 0 && done !== null ? done / total : null } : {}) });
        }
      }
      if (Date.now() > deadline) throw new NovaError('timeout', `the memory of ${def.name} did not reach the destination within ${MEMORY_WAIT_MS / 60_000} minutes`);
      await sleep(SWITCH_POLL_MS);
    }
  }
}

function refuseUnmovable(def: VmDefinition): void {
  const reasons = unmovableReasons(def);
  if (reasons.length > 0) throw new NovaError('failed_precondition', `VM ${def.name} cannot move to another host: ${reasons.join('; ')}`, { reasons });
}

function jobId(disk: string): string {
  return `migration-${disk}`;
}

function targetNode(disk: string): string {
  return `migration-target-${disk}`;
}

/**
 * Ends a mirror and waits until it is gone. Not forced on a mirror in step: the copy is
 * finished first (a point-in-time copy, the source staying the guest's disk); forced, it
 * stops at once (a cancel). An error of the job is the migration's error.
 */
async function endJob(qmp: QmpClient, id: string, force: boolean): Promise<void> {
  await qmp.execute('block-job-cancel', { device: id, force }).catch(() => undefined);
  const deadline = Date.now() + JOB_END_MS;
  for (;;) {
    const job = (await qmp.queryJobs()).find((j) => j.id === id);
    if (!job) return;
    if (job.status === 'concluded') {
      await qmp.execute('job-dismiss', { id });
      if (job.error && !force) throw new NovaError('internal', `finishing the copy of ${id.replace(/^migration-/, '')} failed: ${job.error}`);
      return;
    }
    if (Date.now() > deadline) throw new NovaError('timeout', `the disk copy ${id} did not end within ${JOB_END_MS / 1000} s`);
    await sleep(SWITCH_POLL_MS);
  }
}

/** migrate_cancel, then until QEMU says the migration is over (its cleanup restarts a guest that ran). */
async function cancelMigration(qmp: QmpClient): Promise<void> {
  await qmp.execute('migrate_cancel').catch(() => undefined);
  const deadline = Date.now() + JOB_END_MS;
  while (Date.now() < deadline) {
    const info = await qmp.execute<QmpMigrationInfo>('query-migrate').catch(() => ({ status: 'failed' }));
    if (info.status !== 'cancelling' && info.status !== 'active' && info.status !== 'pre-switchover' && info.status !== 'device') return;
    await sleep(POLL_MS);
  }
}

/** The settings a later suspend (a migration to a file) must not inherit. */
async function resetMigrationSettings(qmp: QmpClient): Promise<void> {
  await qmp.execute('migrate-set-parameters', { 'tls-creds': '', 'tls-hostname': '' }).catch(() => undefined);
  await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'pause-before-switchover', state: false }, { capability: 'postcopy-ram', state: false }] }).catch(() => undefined);
}

async function resumeIfStopped(qmp: QmpClient, wasRunning: boolean): Promise<void> {
  if (!wasRunning) return;
  const status = (await qmp.queryStatus().catch(() => null))?.status;
  if (status && status !== 'running') await qmp.cont().catch(() => undefined);
}

/** Who the QEMU runs as: its credentials files must be readable by it. */
async function qemuOwner(rt: VmRuntime): Promise<{ uid: number; gid: number } | null> {
  const owner = await stat(`/proc/${rt.record.pid}`).catch(() => null);
  return owner && owner.uid !== 0 ? { uid: owner.uid, gid: owner.gid } : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function vmRef(name: string): ResourceRef {
  return { kind: 'vm', name };
}
