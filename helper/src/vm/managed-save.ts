// Suspend to disk, as libvirt's managed save: a running VM's RAM and device state go to
// a file in its folder through QEMU's migration (QMP `migrate` to a descriptor the helper
// created and passed with `getfd`: QEMU 7.2 has no `file:` URI, and `exec:` would run a
// shell), then QEMU quits. The next start runs QEMU with `-incoming defer` and feeds the
// file back the same way (`migrate-incoming`), and only after the guest runs again is the
// file deleted. The record beside it (suspended.json) is what makes the VM `suspended`;
// the state file without it is a half-written save and is removed.
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { NovaError } from '../../../src-shared/errors.js';
import { createConfined, openConfined } from '../safe-fs/confined-open.js';
import { removeConfined } from '../safe-fs/confined-write.js';
import { readRecord, writeRecord, type RecordFormat } from '../state/record-store.js';
import type { QmpClient } from './qmp-client.js';
import type { VmLayout } from './vm-layout.js';

const SavedSchema = z.strictObject({
  savedAt: z.string(),
  bytes: z.number().int().nonnegative(),
  /** The guest was paused by its user when saved: it comes back paused. */
  wasPaused: z.boolean(),
});
export type ManagedSaveRecord = z.infer<typeof SavedSchema>;
const SAVED_RECORD: RecordFormat<ManagedSaveRecord> = { what: 'suspended VM record', version: 1, schema: SavedSchema };

interface QmpMigrationInfo {
  status?: string;
  'error-desc'?: string;
  ram?: { total?: number; remaining?: number; transferred?: number };
}

export interface SaveProgress {
  (p: { fraction: number | null; bytesDone: number | null; bytesTotal: number | null }): void;
}

const POLL_MS = 100;
/** The saving QEMU gets no bandwidth cap: QEMU 7.2's default (32 MiB/s) is meant for a network. */
const UNCAPPED_BYTES_PER_SECOND = 1024 ** 4;
const FD_NAME_OUT = 'nova-managed-save';
const FD_NAME_IN = 'nova-managed-restore';


export class ManagedSave {
  constructor(
    private readonly layout: VmLayout,
    private readonly timeoutMs = 30 * 60_000,
  ) {}

  stateFile(name: string): string {
    return join(this.layout.vmDir(name), 'suspended.vmstate');
  }
  private recordFile(name: string): string {
    return join(this.layout.vmDir(name), 'suspended.json');
  }
  private partFile(name: string): string {
    return join(this.layout.vmDir(name), 'suspended.vmstate.part');
  }

  /** The save a start resumes from; null when the VM is not suspended (a damaged record counts as none, its file kept for a person). */
  async saved(name: string): Promise<ManagedSaveRecord | null> {
    return readRecord(SAVED_RECORD, this.recordFile(name)).catch(() => null);
  }

  /** Migrates the running guest into the VM's folder; QEMU is left paused with nothing of the guest lost, for the caller to quit. */
  async save(name: string, qmp: QmpClient, opts: { signal: AbortSignal; progress: SaveProgress; wasPaused: boolean }): Promise<ManagedSaveRecord> {
    const root = this.layout.vmsDir;
    await removeConfined(root, this.partFile(name));
    const handle = await createConfined(root, this.partFile(name), 0o600, `the suspend file of VM ${name}`);
    let bytes = 0;
    try {
      // Paused first, so the state written is one instant and the copy never chases dirty pages.
      await qmp.stop();
      await qmp.execute('migrate-set-parameters', { 'max-bandwidth': UNCAPPED_BYTES_PER_SECOND });
      await qmp.executeWithDescriptor('getfd', { fdname: FD_NAME_OUT }, handle.fd);
      await qmp.execute('migrate', { uri: `fd:${FD_NAME_OUT}` });
      await this.waitMigration(name, qmp, opts.signal, opts.progress, 'saving');
      await handle.sync();
      bytes = (await handle.stat()).size;
    } catch (err) {
      await qmp.execute('migrate_cancel').catch(() => undefined);
      if (!opts.wasPaused) await qmp.cont().catch(() => undefined);
      await handle.close().catch(() => undefined);
      await removeConfined(root, this.partFile(name)).catch(() => undefined);
      throw err;
    }
    await handle.close();
    await rename(this.partFile(name), this.stateFile(name));
    await syncDir(dirname(this.stateFile(name)));
    const record = { savedAt: new Date().toISOString(), bytes, wasPaused: opts.wasPaused };
    await writeRecord(SAVED_RECORD, this.recordFile(name), record);
    return record;
  }

  /** Feeds the saved state to a QEMU started with `-incoming defer` and paused (-S); returns once QEMU holds the whole guest. */
  async restore(name: string, qmp: QmpClient, signal: AbortSignal): Promise<void> {
    const { handle } = await openConfined(this.layout.vmsDir, this.stateFile(name), { what: `the suspend file of VM ${name}` });
    try {
      await qmp.executeWithDescriptor('getfd', { fdname: FD_NAME_IN }, handle.fd);
      await qmp.execute('migrate-incoming', { uri: `fd:${FD_NAME_IN}` });
      await this.waitMigration(name, qmp, signal, () => undefined, 'resuming');
    } finally {
      await handle.close();
    }
  }

  /** The record first: from then on the VM is stopped, whatever of the file is left. */
  async discard(name: string): Promise<void> {
    const root = this.layout.vmsDir;
    await removeConfined(root, this.recordFile(name));
    await removeConfined(root, this.stateFile(name));
    await removeConfined(root, this.partFile(name));
  }

  private async waitMigration(name: string, qmp: QmpClient, signal: AbortSignal, progress: SaveProgress, doing: string): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (signal.aborted) throw new NovaError('cancelled', `${doing} VM ${name} was cancelled`);
      const info = await qmp.execute<QmpMigrationInfo>('query-migrate');
      if (info.status === 'completed') return;
      if (info.status === 'failed' || info.status === 'cancelled') {
        throw new NovaError('internal', `${doing} VM ${name} failed: QEMU's migration ${info.status}${info['error-desc'] ? `: ${info['error-desc']}` : ''}`);
      }
      const total = info.ram?.total ?? null;
      const done = total !== null && info.ram?.remaining !== undefined ? total - info.ram.remaining : null;
      progress({ fraction: total && done !== null ? Math.min(1, done / total) : null, bytesDone: done, bytesTotal: total });
      if (Date.now() > deadline) throw new NovaError('timeout', `${doing} VM ${name} took over ${Math.round(this.timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
