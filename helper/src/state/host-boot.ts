// Reboot detection: the kernel gives every boot a random id. The helper keeps the id it
// last ran under (host-boot.json in the state dir); a different one at start means the
// host restarted since, so nothing recorded as running can still run: pids and process
// start times from another boot may name unrelated processes, and are not trusted.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NovaError } from '../../../src-shared/errors.js';
import { readRecord, writeRecord, type RecordFormat } from './record-store.js';

export const KERNEL_BOOT_ID = '/proc/sys/kernel/random/boot_id';

const HostBootSchema = z.strictObject({ bootId: z.string(), seenAt: z.string() });
type HostBootRecord = z.infer<typeof HostBootSchema>;
const HOST_BOOT_RECORD: RecordFormat<HostBootRecord> = { what: 'host boot record', version: 1, schema: HostBootSchema };

export interface HostBoot {
  bootId: string;
  /** The id the helper last ran under; null on its first start in this state dir. */
  previous: string | null;
  /** The host restarted since the helper last ran here. */
  restarted: boolean;
  /** Records this boot as seen: called once recovery is done, so a helper killed during it still knows. */
  commit: () => Promise<void>;
}

export async function readHostBoot(stateDir: string, bootIdFile = KERNEL_BOOT_ID): Promise<HostBoot> {
  const bootId = (await readFile(bootIdFile, 'utf8').catch((err: Error) => {
    throw new NovaError('internal', `cannot read the boot id from ${bootIdFile}: ${err.message}`);
  })).trim();
  if (!/^[0-9a-f-]{8,64}$/i.test(bootId)) throw new NovaError('internal', `${bootIdFile} holds no boot id: ${JSON.stringify(bootId.slice(0, 80))}`);
  const file = join(stateDir, 'host-boot.json');
  // A damaged record counts as another boot: trusting a pid too little costs a restart, too much a wrong process.
  const previous = await readRecord(HOST_BOOT_RECORD, file).catch(() => ({ bootId: 'unreadable', seenAt: '' }));
  return {
    bootId,
    previous: previous?.bootId ?? null,
    restarted: previous !== null && previous.bootId !== bootId,
    commit: () => writeRecord(HOST_BOOT_RECORD, file, { bootId, seenAt: new Date().toISOString() }),
  };
}
