// The device bindings on disk, one record per IOMMU group under STATE/devices/bindings:
// the original drivers (for restore), how far a bind or restore got (for crash
// recovery) and who holds the group (the reservation). Each save is atomic and fsynced,
// and the binder saves before each sysfs write it is about to make.
import { join } from 'node:path';
import { type DeviceBinding, DeviceBindingSchema } from '../../../src-shared/device.js';
import { type RecordFormat, RecordStore } from '../state/record-store.js';

export const DEVICE_BINDING_RECORD: RecordFormat<DeviceBinding> = {
  what: 'device binding',
  version: 1,
  schema: DeviceBindingSchema,
};

export class DeviceJournal {
  private readonly store: RecordStore<DeviceBinding>;

  constructor(stateDir: string, private readonly now: () => Date = () => new Date()) {
    this.store = new RecordStore(DEVICE_BINDING_RECORD, join(stateDir, 'devices', 'bindings'));
  }

  private static nameOf(group: number): string {
    return `group-${group}`;
  }

  load(group: number): Promise<DeviceBinding | null> {
    return this.store.load(DeviceJournal.nameOf(group));
  }

  async save(binding: DeviceBinding): Promise<void> {
    binding.updatedAt = this.now().toISOString();
    await this.store.save(DeviceJournal.nameOf(binding.group), binding);
  }

  remove(group: number): Promise<void> {
    return this.store.remove(DeviceJournal.nameOf(group));
  }

  /** Every binding, and the damaged files apart (named, never silently dropped). */
  async all(): Promise<{ bindings: DeviceBinding[]; broken: Array<{ file: string; problem: string }> }> {
    const { records, damaged } = await this.store.loadAll();
    return { bindings: [...records.values()], broken: damaged.map((d) => ({ file: d.file, problem: d.problem })) };
  }
}
