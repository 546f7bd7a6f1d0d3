// Disk consistency after an unclean stop. A QEMU killed (or a host that lost power) may
// leave a qcow2 with clusters allocated but referenced by nothing (leaks: harmless, given
// back by `qemu-img check -r leaks`) or, rarely, with metadata that contradicts itself
// (corruption: writing on would spread it). The VM engine records each unclean stop here
// (NAME.unclean.json beside the VM's records), and the launcher asks `beforeStart` before
// QEMU opens the disks: a clean stop costs nothing, an unclean one costs a check.
import { z } from 'zod';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { RecordStore, type RecordFormat } from '../state/record-store.js';
import type { Logger } from '../util/logger.js';
import { qemuImgArgv } from './qemu-img-argv.js';

const UncleanStopSchema = z.strictObject({
  reason: z.string(),
  at: z.string(),
});
export type UncleanStop = z.infer<typeof UncleanStopSchema>;

export const UNCLEAN_STOP_RECORD: RecordFormat<UncleanStop> = { what: 'VM unclean stop record', version: 1, schema: UncleanStopSchema };

/** Checking a large disk reads all its metadata: minutes, not seconds. */
const CHECK_TIMEOUT_MS = 30 * 60_000;

/** What `qemu-img check --output=json` says (the fields Nova reads). */
interface CheckReport {
  corruptions?: number;
  leaks?: number;
  'leaks-fixed'?: number;
  'check-errors'?: number;
}

export interface DiskCheckResult {
  disk: string;
  path: string;
  /** clean, or leaks given back. */
  outcome: 'clean' | 'leaks-repaired';
  leaksFixed: number;
}

export class DiskConsistency {
  private readonly records: RecordStore<UncleanStop>;

  constructor(
    vmsDir: string,
    private readonly runner: Pick<ProcessRunner, 'run'>,
    private readonly logger: Logger,
    private readonly binary = 'qemu-img',
  ) {
    this.records = new RecordStore(UNCLEAN_STOP_RECORD, vmsDir, '.unclean.json');
  }

  /** Called whenever QEMU ended without a shutdown (killed, crashed, gone with the host). */
  async recordUncleanStop(name: string, reason: string): Promise<void> {
    try {
      await this.records.save(name, { reason, at: new Date().toISOString() });
    } catch (err) {
      // The VM's state matters more than this note; the next start then skips the check.
      this.logger.error({ err, vm: name }, 'could not record an unclean stop');
    }
  }

  async uncleanStop(name: string): Promise<UncleanStop | null> {
    try {
      return await this.records.load(name);
    } catch {
      // A damaged note still says the stop was unclean.
      return { reason: 'unknown (its record is damaged)', at: new Date(0).toISOString() };
    }
  }

  /**
   * Before QEMU starts: after an unclean stop, every writable qcow2 disk the VM owns is
   * checked (the VM's folder has just been claimed: regular files, no links), leaks are
   * repaired, and a corrupt disk refuses the start with what to do. The note is removed
   * once every disk is clean, so the next start after a clean stop checks nothing.
   */
  async beforeStart(def: VmDefinition, opts: { signal: AbortSignal; phase: (phase: string) => void }): Promise<DiskCheckResult[]> {
    const unclean = await this.uncleanStop(def.name);
    // A note older than the VM is from an earlier VM of that name.
    if (!unclean || unclean.at < def.createdAt) {
      if (unclean) await this.records.remove(def.name);
      return [];
    }
    const disks = def.disks.filter((d) => d.format === 'qcow2' && !d.readOnly && d.owned);
    const results: DiskCheckResult[] = [];
    for (const disk of disks) {
      opts.phase(`checking disk ${disk.id} after an unclean stop`);
      results.push(await this.checkDisk(def.name, disk.id, disk.path, opts.signal));
    }
    this.logger.info({ vm: def.name, uncleanStop: unclean, results }, 'disks checked after an unclean stop');
    await this.records.remove(def.name);
    return results;
  }

  private async checkDisk(vm: string, id: string, path: string, signal: AbortSignal): Promise<DiskCheckResult> {
    const first = await this.check(vm, id, path, false, signal);
    if (first.corrupt) throw corrupt(vm, id, path, first.detail);
    if ((first.report.leaks ?? 0) === 0) return { disk: id, path, outcome: 'clean', leaksFixed: 0 };
    const repaired = await this.check(vm, id, path, true, signal);
    if (repaired.corrupt || (repaired.report.leaks ?? 0) > 0) throw corrupt(vm, id, path, repaired.detail);
    const leaksFixed = repaired.report['leaks-fixed'] ?? first.report.leaks ?? 0;
    this.logger.warn({ vm, disk: id, path, leaksFixed }, 'gave back clusters leaked by an unclean stop');
    return { disk: id, path, outcome: 'leaks-repaired', leaksFixed };
  }

  /** Exit 0: clean (or repaired); 2: corruptions; 3: leaks; 1: the check could not finish. */
  private async check(vm: string, id: string, path: string, repairLeaks: boolean, signal: AbortSignal): Promise<{ report: CheckReport; corrupt: boolean; detail: string }> {
    const r = await this.runner.run({
      argv: qemuImgArgv.check(path, repairLeaks, this.binary),
      timeoutMs: CHECK_TIMEOUT_MS,
      allowFailure: true,
      signal,
      what: `qemu-img: checking disk ${id} of VM ${vm}`,
    });
    let report: CheckReport = {};
    try {
      report = JSON.parse(r.stdout) as CheckReport;
    } catch {
      // No JSON: the check itself failed (exit 1), which says the metadata cannot be read.
    }
    const errors = r.stderr
      .split('\n')
      .filter((l) => /ERROR|qemu-img:/.test(l))
      .slice(0, 3)
      .join('; ');
    const corruptions = report.corruptions ?? 0;
    const failed = r.exitCode === 1 || r.exitCode === null || r.exitCode > 3 || (report['check-errors'] ?? 0) > 0;
    const detail = corruptions > 0 ? `${corruptions} corrupt cluster(s)${errors ? `: ${errors}` : ''}` : errors || `qemu-img check exited with ${r.exitCode}`;
    return { report, corrupt: corruptions > 0 || failed, detail };
  }
}

function corrupt(vm: string, id: string, path: string, detail: string): NovaError {
  const backup = `${path}.bak`;
  return new NovaError(
    'failed_precondition',
    `VM ${vm} was not started: disk ${id} (${path}) is damaged after an unclean stop (${detail}). ` +
      `Nothing was written to it. Copy it first (cp --sparse=always ${path} ${backup}), then repair it with ` +
      `"qemu-img check -r all ${path}" (data in damaged clusters may be lost) or restore a snapshot or backup, and start the VM again.`,
    { disk: id, path },
  );
}
