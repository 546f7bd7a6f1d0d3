// The networks the engine knows: their records, read once from the store and kept in
// memory, so a status or a plan needs no disk read. Every change goes through here to
// disk first; a record marked pending is a create or delete still under way.
import { NovaError } from '../../../src-shared/errors.js';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import { BrokenResourceError, brokenRecord } from '../state/broken-record.js';
import type { DamagedRecord } from '../state/record-store.js';
import type { NetworkConfig, NetworkRecord } from './network-config.js';
import type { NetworkStore } from './network-store.js';

export class NetworkRegistry {
  private records: Map<string, NetworkRecord> | null = null;
  private loading: Promise<{ records: NetworkRecord[]; damaged: DamagedRecord[] }> | null = null;
  /** Networks whose file cannot be read: listed as broken, their names kept until removed. */
  private readonly brokenOnes = new Map<string, BrokenRecord>();

  constructor(readonly store: NetworkStore) {}

  /** Reads the state dir (again); the damaged files are returned for the caller to report. */
  async reload(): Promise<{ records: NetworkRecord[]; damaged: DamagedRecord[] }> {
    this.loading = this.store.loadAll();
    try {
      const loaded = await this.loading;
      this.records = new Map(loaded.records.map((r) => [r.config.name, r]));
      this.brokenOnes.clear();
      for (const d of loaded.damaged) this.brokenOnes.set(d.name, brokenRecord(d.name, d.file, d.problem));
      return loaded;
    } finally {
      this.loading = null;
    }
  }

  async all(): Promise<NetworkRecord[]> {
    if (!this.records) await (this.loading ?? this.reload());
    return [...(this.records?.values() ?? [])];
  }

  /** A network that exists (not one being created or deleted), or not_found. */
  async require(name: string): Promise<NetworkRecord> {
    await this.all();
    this.refuseBroken(name);
    const record = this.records?.get(name);
    if (!record || record.pending) throw new NovaError('not_found', `network ${JSON.stringify(name)} does not exist`);
    return record;
  }

  broken(): BrokenRecord[] {
    return [...this.brokenOnes.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  isBroken(name: string): boolean {
    return this.brokenOnes.has(name);
  }

  /** Throws BrokenResourceError when `name`'s file cannot be read. */
  refuseBroken(name: string): void {
    const broken = this.brokenOnes.get(name);
    if (broken) throw new BrokenResourceError('network', broken);
  }

  /** Removes the file of a broken network: nothing else of it can be told from a file that cannot be read. */
  async removeBroken(name: string): Promise<void> {
    await this.store.remove(name);
    this.brokenOnes.delete(name);
  }

  /** Whatever is recorded under `name`, pending or not. */
  peek(name: string): NetworkRecord | undefined {
    return this.records?.get(name);
  }

  /** The loaded records, synchronously (empty before the first load). */
  loaded(): NetworkRecord[] {
    return [...(this.records?.values() ?? [])];
  }

  /** The networks whose rules belong in the table: all but those being deleted. */
  configs(): NetworkConfig[] {
    return this.loaded()
      .filter((r) => r.pending !== 'delete')
      .map((r) => r.config);
  }

  /** Written to disk, then known: a helper killed in between finds the file on its next start. */
  async save(record: NetworkRecord): Promise<void> {
    await this.store.put(record);
    this.records ??= new Map();
    this.records.set(record.config.name, record);
  }

  /** Forgotten in memory now (so plans and rules stop counting it), on disk once `removeFile` runs. */
  forget(name: string): void {
    this.records?.delete(name);
  }

  async removeFile(name: string): Promise<void> {
    await this.store.remove(name);
  }
}
