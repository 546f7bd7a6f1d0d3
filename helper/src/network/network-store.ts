// Networks on disk: one human-readable JSON file per network in STATE/networks/,
// written atomically, versioned with forward-only migrations.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { NETWORK_NAME_PATTERN } from '../../../src-shared/network.js';
import { writeJsonAtomic } from '../state/atomic-write.js';
import type { NetworkRecord } from './network-config.js';

export const NETWORK_RECORD_VERSION = 1;

/** Forward-only: each step takes version N to N+1. There are none yet. */
const MIGRATIONS: Record<number, (raw: Record<string, unknown>) => Record<string, unknown>> = {};

export function migrateRecord(raw: unknown, file: string): NetworkRecord {
  if (typeof raw !== 'object' || raw === null) throw new NovaError('internal', `${file} is not a network record`);
  let record = raw as Record<string, unknown>;
  let version = typeof record.version === 'number' ? record.version : 0;
  if (version > NETWORK_RECORD_VERSION) {
    throw new NovaError('failed_precondition', `${file} was written by a newer Nova (version ${version}); upgrade Nova to read it`);
  }
  while (version < NETWORK_RECORD_VERSION) {
    const step = MIGRATIONS[version];
    if (!step) throw new NovaError('internal', `${file}: no migration from version ${version}`);
    record = step(record);
    version += 1;
  }
  const r = record as Partial<NetworkRecord>;
  if (!r.config || typeof r.config.name !== 'string' || !Array.isArray(r.attachments)) {
    throw new NovaError('internal', `${file} is missing its config or attachments`);
  }
  return record as unknown as NetworkRecord;
}

export class NetworkStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'networks');
  }

  private path(name: string): string {
    // Names are checked against the pattern before they ever reach a path.
    if (!NETWORK_NAME_PATTERN.test(name)) throw new NovaError('invalid_argument', `bad network name ${JSON.stringify(name)}`);
    return join(this.dir, `${name}.json`);
  }

  async list(): Promise<NetworkRecord[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch {
      return [];
    }
    const names = files.filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => f.slice(0, -5));
    const records = await Promise.all(names.filter((n) => NETWORK_NAME_PATTERN.test(n)).map((n) => this.get(n)));
    return records.filter((r): r is NetworkRecord => r !== null);
  }

  async get(name: string): Promise<NetworkRecord | null> {
    const file = this.path(name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return null;
    }
    return migrateRecord(JSON.parse(text), file);
  }

  async put(record: NetworkRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeJsonAtomic(this.path(record.config.name), record);
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }
}
