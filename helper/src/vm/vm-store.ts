// The VM records in the state dir, each a RecordStore format: the definition
// (vms/NAME.json), the runtime record of a running or crashed VM (NAME.runtime.json) and
// the snapshot tree (NAME.snapshots.json), and the definition a running VM's QEMU was
// started with (NAME.started.json, what its pending changes are measured against). Versioned JSON, atomic writes, forward-only
// migrations; the file names and contents are those older Nova versions wrote.
import { z } from 'zod';
import { NovaError } from '../../../src-shared/errors.js';
import { migrateVmDefinitionV1, SnapshotTreeSchema, VM_DEFINITION_VERSION, VM_NAME_PATTERN, VmDefinitionSchema, type SnapshotTree, type VmDefinition } from '../../../src-shared/vm.js';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import { BrokenResourceError, brokenFromError } from '../state/broken-record.js';
import { RecordDamagedError, RecordStore, type RecordFormat } from '../state/record-store.js';
import type { Logger } from '../util/logger.js';
import type { VmLayout } from './vm-layout.js';

/** A tap on a Nova network's bridge for NIC `index`; `resource` is its attachment's name there. */
export const RuntimeTapSchema = z.strictObject({
  network: z.string(),
  ifname: z.string(),
  mac: z.string(),
  index: z.number().int().nonnegative(),
  resource: z.string(),
});
export type RuntimeTap = z.infer<typeof RuntimeTapSchema>;

export const RUNTIME_RECORD_VERSION = 2;
export const RuntimeRecordSchema = z.strictObject({
  version: z.literal(RUNTIME_RECORD_VERSION),
  pid: z.number().int().positive(),
  /** Field 22 of /proc/PID/stat: with the pid, the process's identity. */
  startTime: z.string(),
  startedAt: z.string(),
  accel: z.enum(['kvm', 'tcg']),
  qmpSocket: z.string(),
  serialSocket: z.string(),
  serialLog: z.string(),
  vncSocket: z.string().nullable(),
  vncWebsocketPort: z.number().int().nullable(),
  vncPassword: z.string().nullable(),
  spiceSocket: z.string().nullable(),
  /** The taps on Nova networks' bridges, one per such NIC, given back to the network engine when QEMU ends. */
  taps: z.array(RuntimeTapSchema).default([]),
  /** CPU features turned off in this QEMU (an arrival from a host whose CPU has fewer): what its guest sees is the model without them. */
  cpuOff: z.array(z.string()).default([]),
  /** Set when QEMU ended without being asked to: the VM is `crashed` until started or stopped. */
  crashed: z.strictObject({ reason: z.string(), at: z.string() }).nullable(),
});
export type RuntimeRecord = z.infer<typeof RuntimeRecordSchema>;

export const VM_DEFINITION_RECORD: RecordFormat<VmDefinition> = {
  what: 'VM definition',
  version: VM_DEFINITION_VERSION,
  schema: VmDefinitionSchema,
  migrations: { 1: migrateVmDefinitionV1 },
};
export const VM_RUNTIME_RECORD: RecordFormat<RuntimeRecord> = {
  what: 'VM runtime record',
  version: RUNTIME_RECORD_VERSION,
  schema: RuntimeRecordSchema,
  migrations: { 1: migrateRuntimeV1 },
};
/** The definition a running VM's QEMU was started with: the same format, kept beside the current one. */
const VM_STARTED_RECORD: RecordFormat<VmDefinition> = { ...VM_DEFINITION_RECORD, what: 'record of what a running VM was started with' };
export const VM_SNAPSHOTS_RECORD: RecordFormat<SnapshotTree> = { what: 'VM snapshot tree', version: 1, schema: SnapshotTreeSchema };

/**
 * Version 1 kept one tap, the VM's only NIC's, attached under the VM's own name. The
 * record does not carry that name, so `resource` "" stands for it (attachmentOf reads it).
 */
function migrateRuntimeV1(old: Record<string, unknown>): Record<string, unknown> {
  const { tap, ...rest } = old;
  const t = tap as { network: string; ifname: string; mac: string } | null | undefined;
  return { ...rest, taps: t ? [{ ...t, index: 0, resource: '' }] : [] };
}

const NO_SNAPSHOTS: SnapshotTree = { current: null, snapshots: [] };

export class VmStore {
  private readonly definitions: RecordStore<VmDefinition>;
  private readonly runtimes: RecordStore<RuntimeRecord>;
  private readonly snapshotTrees: RecordStore<SnapshotTree>;
  private readonly startedDefinitions: RecordStore<VmDefinition>;

  constructor(
    layout: VmLayout,
    private readonly logger?: Logger,
  ) {
    this.definitions = new RecordStore(VM_DEFINITION_RECORD, layout.vmsDir, '.json');
    this.runtimes = new RecordStore(VM_RUNTIME_RECORD, layout.vmsDir, '.runtime.json');
    this.snapshotTrees = new RecordStore(VM_SNAPSHOTS_RECORD, layout.vmsDir, '.snapshots.json');
    this.startedDefinitions = new RecordStore(VM_STARTED_RECORD, layout.vmsDir, '.started.json');
  }

  /** VM names never hold a dot, so NAME.runtime.json and NAME.snapshots.json are not VMs. */
  async listNames(): Promise<string[]> {
    return (await this.definitions.names()).filter((n) => VM_NAME_PATTERN.test(n));
  }

  /** A broken definition still holds the name: creating over it would lose what it says, so that is refused as broken. */
  async exists(name: string): Promise<boolean> {
    return (await this.readDefinition(name)) !== null;
  }

  /** The VMs whose definition cannot be read, with the file and the fault. */
  async broken(): Promise<BrokenRecord[]> {
    const out: BrokenRecord[] = [];
    for (const name of await this.listNames()) {
      await this.readDefinition(name).catch((err: unknown) => {
        if (!(err instanceof BrokenResourceError)) throw err;
        out.push(err.broken);
      });
    }
    return out;
  }

  /** The definition, or not_found; a damaged one is BrokenResourceError, naming the file and the fault. */
  async loadDefinition(name: string): Promise<VmDefinition> {
    const def = await this.readDefinition(name);
    if (!def) throw new NovaError('not_found', `VM ${name} does not exist`);
    return def;
  }

  private async readDefinition(name: string): Promise<VmDefinition | null> {
    try {
      return await this.definitions.load(name);
    } catch (err) {
      const broken = brokenFromError(name, this.definitions.fileOf(name), err);
      if (broken) throw new BrokenResourceError('VM', broken);
      throw err;
    }
  }

  async saveDefinition(def: VmDefinition): Promise<void> {
    await this.definitions.save(def.name, def);
  }

  /** A damaged runtime record counts as none (the VM shows as stopped), and is logged. */
  async loadRuntime(name: string): Promise<RuntimeRecord | null> {
    const record = await this.loadOrNone(this.runtimes, name);
    // A tap from a version 1 record was attached under the VM's own name.
    return record && { ...record, taps: record.taps.map((t) => (t.resource === '' ? { ...t, resource: name } : t)) };
  }

  async saveRuntime(name: string, record: RuntimeRecord): Promise<void> {
    await this.runtimes.save(name, record);
  }

  async removeRuntime(name: string): Promise<void> {
    await this.runtimes.remove(name);
  }

  /** What the running QEMU was started with; null when not recorded (a VM started by an older helper) or damaged (logged). */
  async loadStartedWith(name: string): Promise<VmDefinition | null> {
    return this.loadOrNone(this.startedDefinitions, name);
  }

  async saveStartedWith(def: VmDefinition): Promise<void> {
    await this.startedDefinitions.save(def.name, def);
  }

  async removeStartedWith(name: string): Promise<void> {
    await this.startedDefinitions.remove(name);
  }

  async loadSnapshots(name: string): Promise<SnapshotTree> {
    return (await this.snapshotTrees.load(name)) ?? NO_SNAPSHOTS;
  }

  async saveSnapshots(name: string, tree: SnapshotTree): Promise<void> {
    await this.snapshotTrees.save(name, tree);
  }

  /** Records whose loss costs only what they tell about a run: a damaged one is logged and counts as none. */
  private async loadOrNone<T>(records: RecordStore<T>, name: string): Promise<T | null> {
    try {
      return await records.load(name);
    } catch (err) {
      if (!(err instanceof RecordDamagedError)) throw err;
      this.logger?.warn({ vm: name, file: err.file, problem: err.problem }, `ignoring a damaged ${records.format.what}`);
      return null;
    }
  }

  async removeAll(name: string): Promise<void> {
    await this.snapshotTrees.remove(name);
    await this.startedDefinitions.remove(name);
    await this.runtimes.remove(name);
    await this.definitions.remove(name);
  }
}
