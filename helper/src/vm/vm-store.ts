// The VM files in the state dir: definitions, runtime records and snapshot trees, each
// versioned JSON written atomically. Older versions are migrated forward on read.
import { readdir, readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import { NovaError } from '../../../src-shared/errors.js';
import { SnapshotTreeSchema, VmDefinitionSchema, type SnapshotTree, type VmDefinition } from '../../../src-shared/vm.js';
import { writeJsonAtomic } from '../state/atomic-write.js';
import type { VmLayout } from './vm-layout.js';

export const RuntimeRecordSchema = z.strictObject({
  version: z.literal(1),
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
  /** The tap on a Nova network's bridge, given back to the network engine when QEMU ends. */
  tap: z.strictObject({ network: z.string(), ifname: z.string(), mac: z.string() }).nullable().default(null),
  /** Set when QEMU ended without being asked to: the VM is `crashed` until started or stopped. */
  crashed: z.strictObject({ reason: z.string(), at: z.string() }).nullable(),
});
export type RuntimeRecord = z.infer<typeof RuntimeRecordSchema>;

const SnapshotFileSchema = SnapshotTreeSchema.extend({ version: z.literal(1) });

/** Forward-only migrations, keyed by the version they upgrade from. */
const DEFINITION_MIGRATIONS: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {};

export class VmStore {
  constructor(private readonly layout: VmLayout) {}

  async listNames(): Promise<string[]> {
    const files = await readdir(this.layout.vmsDir).catch(() => [] as string[]);
    return files
      .filter((f) => f.endsWith('.json') && !f.endsWith('.runtime.json') && !f.endsWith('.snapshots.json') && !f.startsWith('.'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  }

  async exists(name: string): Promise<boolean> {
    return (await this.readJson(this.layout.definition(name))) !== null;
  }

  async loadDefinition(name: string): Promise<VmDefinition> {
    const raw = await this.readJson(this.layout.definition(name));
    if (raw === null) throw new NovaError('not_found', `VM ${name} does not exist`);
    let value = raw as Record<string, unknown>;
    for (let v = Number(value.version); DEFINITION_MIGRATIONS[v]; v = Number(value.version)) {
      value = DEFINITION_MIGRATIONS[v]!(value);
    }
    const parsed = VmDefinitionSchema.safeParse(value);
    if (!parsed.success) throw new NovaError('internal', `VM ${name}: its definition file is invalid: ${parsed.error.message}`);
    return parsed.data;
  }

  async saveDefinition(def: VmDefinition): Promise<void> {
    await writeJsonAtomic(this.layout.definition(def.name), VmDefinitionSchema.parse(def));
  }

  async loadRuntime(name: string): Promise<RuntimeRecord | null> {
    const raw = await this.readJson(this.layout.runtime(name));
    if (raw === null) return null;
    const parsed = RuntimeRecordSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  async saveRuntime(name: string, record: RuntimeRecord): Promise<void> {
    await writeJsonAtomic(this.layout.runtime(name), record);
  }

  async removeRuntime(name: string): Promise<void> {
    await rm(this.layout.runtime(name), { force: true });
  }

  async loadSnapshots(name: string): Promise<SnapshotTree> {
    const raw = await this.readJson(this.layout.snapshots(name));
    if (raw === null) return { current: null, snapshots: [] };
    const { version: _v, ...tree } = SnapshotFileSchema.parse(raw);
    return tree;
  }

  async saveSnapshots(name: string, tree: SnapshotTree): Promise<void> {
    await writeJsonAtomic(this.layout.snapshots(name), { version: 1, ...tree });
  }

  async removeAll(name: string): Promise<void> {
    await rm(this.layout.snapshots(name), { force: true });
    await rm(this.layout.runtime(name), { force: true });
    await rm(this.layout.definition(name), { force: true });
  }

  private async readJson(path: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as unknown;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new NovaError('internal', `cannot read ${path}: ${(err as Error).message}`);
    }
  }
}
