// A live migration as the caller drives it: the caller holds an authorized connection to
// each helper (the local socket and/or `ssh HOST nova connect`) and carries what one helper
// gives to the other; the helpers never reach each other's API. Order of the steps: the
// source's offer (refusals first), the destination's preparation (its own refusals, then
// a paused QEMU listening), the send, the destination running the guest, and only then the
// source's copy removed. A failure at any step leaves the guest running on the source and
// nothing of it on the destination.
import { NovaError } from '../../../src-shared/errors.js';
import type { MigrationResult, MigrationTarget } from '../../../src-shared/api/vm-migration-api.js';
import type { HelperClient } from '../helper-client.js';

export interface MigrationPeers {
  source: Pick<HelperClient, 'call'>;
  destination: Pick<HelperClient, 'call'>;
  /** The source's send; the CLI passes one that shows progress and turns Ctrl+C into a cancel. */
  send?: (params: { name: string; to: MigrationTarget; postcopy: boolean }) => Promise<MigrationResult>;
  /** Where the steps are told, one line each, and what a cleanup could not do. */
  note?: (line: string) => void;
  /** Hears each step as it begins, for a caller that shows where the move stands. */
  step?: (step: MigrationStep) => void;
}

export type MigrationStep = 'offer' | 'prepare' | 'send' | 'finish';

export interface MigrationRequest {
  name: string;
  /** The destination's address as the source reaches it: its QEMU listens there for this migration only. */
  listen: string;
  postcopy: boolean;
}

export interface MigrationReport extends MigrationResult {
  /** From the offer to the source's copy removed. */
  wallMs: number;
}

export async function migrateVm(peers: MigrationPeers, req: MigrationRequest): Promise<MigrationReport> {
  const { source, destination } = peers;
  const note = peers.note ?? (() => undefined);
  const started = Date.now();
  const { name, postcopy } = req;
  const step = peers.step ?? (() => undefined);
  step('offer');
  const offer = await source.call('vm.migrateOffer', { name });
  note(`${name}: ${offer.disks.length} disk(s), ${offer.definition.memoryMiB} MiB of memory, machine ${offer.machineType} (${offer.accel})`);
  let incoming;
  step('prepare');
  try {
    incoming = await destination.call('vm.migrateIncoming', { offer, listen: req.listen, postcopy });
  } catch (err) {
    // A connection lost (or an answer unread) after the destination made the VM: it goes.
    // A refusal made nothing, and discard removes only a VM that is still arriving.
    await discard(peers, name, () => undefined);
    throw err;
  }
  note(`destination waits on ${req.listen} (memory port ${incoming.migrationPort}, disks port ${incoming.nbdPort}, TLS)`);
  const to: MigrationTarget = { host: req.listen, migrationPort: incoming.migrationPort, nbdPort: incoming.nbdPort, tls: incoming.tls };
  const send = peers.send ?? ((params) => source.call('vm.migrateSend', params));
  let result: MigrationResult;
  step('send');
  try {
    result = await send({ name, to, postcopy });
  } catch (err) {
    await discard(peers, name, note);
    throw err;
  }
  step('finish');
  try {
    const info = await destination.call('vm.migrateFinish', { name });
    if (info.state !== 'running') throw new NovaError('internal', `VM ${name} is ${info.state} on the destination after its migration, not running`);
  } catch (err) {
    // The destination never ran the guest for the caller: the source's whole copy runs on.
    await discard(peers, name, note);
    await source.call('vm.resume', { name }).catch((resumeErr: unknown) => note(`could not resume ${name} on the source: ${(resumeErr as Error).message}`));
    throw err;
  }
  await source.call('vm.migrateComplete', { name });
  return { ...result, wallMs: Date.now() - started };
}

async function discard(peers: MigrationPeers, name: string, note: (line: string) => void): Promise<void> {
  await peers.destination.call('vm.migrateDiscard', { name }).catch((err: unknown) => note(`could not remove what the migration made on the destination: ${(err as Error).message} (nova vm rm --force ${name} there)`));
}
