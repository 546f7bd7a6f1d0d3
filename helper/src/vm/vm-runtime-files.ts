// What a running VM leaves on the host besides QEMU itself: its runtime dir of sockets,
// its logs, its runtime record and its taps (one per NIC on a Nova network). Made fresh before QEMU starts, and removed
// (or kept as a `crashed` record) when QEMU ends, whichever way it ended.
// The VM's folder is always root's: a QEMU run as a user gets the VM's own files made
// over to it one by one, by descriptor, and a runtime dir of its own for its sockets,
// never the folder, so no name the helper later writes, renames or chowns is theirs to
// change. Every change goes through safe-fs (no link followed, planted or not).
import { lstat, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { isUefi } from '../../../src-shared/vm-platform.js';
import { checkConfinedFile, chownConfined, claimFolder, removeConfined, ROOT_OWNER, writeConfined, type Owner } from '../safe-fs/confined-write.js';
import type { Logger } from '../util/logger.js';
import { isSameProcess } from '../util/proc-stat.js';
import type { FirmwareImages } from './firmware.js';
import type { VmRuntimePaths } from './qemu-argv.js';
import { stopSwtpmsOf } from './swtpm.js';
import { stopVirtiofsdsIn } from './virtiofsd.js';
import { handOverTpmState } from './tpm-state.js';
import type { VmLayout } from './vm-layout.js';
import { nicAttachmentName, nicNetworks, type VmNetworkPort, type VmTap } from './vm-network.js';
import type { RuntimeRecord, VmStore } from './vm-store.js';

/**
 * A new VM's folder, root's and empty. One left from an earlier VM of that name (deleted
 * with its disks kept, perhaps made over to a user by an older Nova) is refused, never reused.
 */
export async function makeVmFolder(layout: VmLayout, name: string): Promise<string> {
  const dir = layout.vmDir(name);
  await mkdir(layout.vmsDir, { recursive: true, mode: 0o711 });
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
    throw new NovaError('already_exists', `the folder ${dir} is left from an earlier VM named ${name} (deleted with its disks kept?): move its files away and remove it, or choose another name`, { path: dir });
  });
  return dir;
}

export class VmRuntimeFiles {
  constructor(
    private readonly layout: VmLayout,
    private readonly store: VmStore,
    private readonly networks: VmNetworkPort,
    private readonly logger: Logger,
    private readonly firmware: FirmwareImages,
  ) {}

  /** At helper start: a folder an older Nova made over to the user its QEMU ran as is root's again before anything touches it. */
  async takeBackFolder(name: string): Promise<void> {
    const dir = this.layout.vmDir(name);
    const st = await lstat(dir).catch(() => null);
    if (!st || st.uid === 0) return;
    // 0711: a QEMU still running as that user keeps reaching its files by name.
    await claimFolder(this.layout.vmsDir, dir, { mode: 0o711, what: `the folder of VM ${name}` });
    this.logger.warn({ vm: name, formerOwner: st.uid }, "took back a VM's folder that an older Nova made over to a user");
  }

  /**
   * The VM's folder root's again (an older Nova made it over to users) and its own files
   * checked, unchanged: regular files of one name, no links. Before anything is given away.
   */
  async claim(def: VmDefinition): Promise<void> {
    const root = this.layout.vmsDir;
    await claimFolder(root, this.layout.vmDir(def.name), { what: `the folder of VM ${def.name}` });
    for (const d of def.disks) if (d.owned) await checkConfinedFile(root, d.path, `disk ${d.id} of VM ${def.name}`);
    const vars = this.layout.runtimePaths(def.name).uefiVars;
    if (await lstat(vars).catch(() => null)) await checkConfinedFile(root, vars, `the UEFI variables of VM ${def.name}`);
  }

  /**
   * An empty runtime dir (the user's, when QEMU runs as one), no logs of the previous run,
   * the VM's own UEFI variables, and every file QEMU opens in the VM's folder made over
   * to the user QEMU runs as (`user`, or root).
   */
  async prepare(def: VmDefinition, user: Owner | null): Promise<VmRuntimePaths> {
    const name = def.name;
    const paths = this.layout.runtimePaths(name);
    const vms = this.layout.vmsDir;
    const owner = user ?? ROOT_OWNER;
    // Search only for QEMU's user, who opens the files made over to it by name; nothing listable.
    await claimFolder(vms, this.layout.vmDir(name), { mode: user ? 0o711 : 0o700, what: `the folder of VM ${name}` });
    const runDir = this.layout.vmRunDir(name);
    await removeConfined(this.layout.runDir, runDir, `the runtime folder of VM ${name}`);
    await claimFolder(this.layout.runDir, runDir, { mode: 0o700, owner, what: `the runtime folder of VM ${name}` });
    const seedTmp = `${this.layout.cloudInitSeed(name)}.tmp`; // an older Nova's temporary seed name
    for (const f of [paths.serialLog, this.layout.qemuLog(name), this.layout.swtpmLog(name), seedTmp]) await removeConfined(vms, f);
    // QEMU appends the guest's serial output to a log it opens by name: made here, so it never creates one.
    await writeConfined(vms, paths.serialLog, '', 0o600, `the serial log of VM ${name}`);
    const own: string[] = [paths.serialLog, ...def.disks.filter((d) => d.owned).map((d) => d.path)];
    const template = isUefi(def.firmware) ? this.firmware[def.firmware as keyof FirmwareImages]?.vars : undefined;
    if (template) {
      if (!(await lstat(paths.uefiVars).catch(() => null))) await writeConfined(vms, paths.uefiVars, await readFile(template), 0o600);
      own.push(paths.uefiVars);
    }
    for (const f of own) await this.handOver(f, user);
    // swtpm runs as QEMU's user and writes its state files itself: the folder is theirs for the run.
    if (def.tpm === true) await handOverTpmState(vms, this.layout.tpmStateDir(name), user ?? ROOT_OWNER, `the TPM state of VM ${name}`);
    return paths;
  }

  /** Makes one of the VM's own files (in its folder) over to the user QEMU runs as, or back to root. */
  async handOver(path: string, user: Owner | null): Promise<void> {
    await chownConfined(this.layout.vmsDir, path, user ?? ROOT_OWNER, 0o600);
  }

  /** Written before QMP is up, so a helper killed right then still finds (and can kill) the QEMU. */
  async saveRecord(name: string, record: RuntimeRecord): Promise<void> {
    await this.store.saveRuntime(name, record);
  }

  /** After a stop: nothing of the run remains. */
  async remove(name: string, record: RuntimeRecord | null): Promise<void> {
    await this.stopTpm(name);
    await this.stopShareDaemons(name);
    await this.removeRunDir(name);
    await this.releaseTaps(name, record?.taps ?? []);
    await this.store.removeRuntime(name);
  }

  /**
   * A start a killed helper left half done (its QEMU already killed): the run dir, the taps
   * (the record's, and those the definition's NICs would have, as taps may predate the
   * record) and the runtime record go, so the VM is simply stopped.
   */
  async abandon(name: string, def: VmDefinition | null, record: RuntimeRecord | null): Promise<void> {
    await this.stopTpm(name);
    await this.stopShareDaemons(name);
    await this.removeRunDir(name);
    const networks = def ? nicNetworks(def.nics) : [];
    const planned = networks.flatMap((network, index) => (network ? [{ network, resource: nicAttachmentName(name, index, networks) }] : []));
    const taps = [...(record?.taps ?? []), ...planned];
    const seen = new Set<string>();
    for (const tap of taps) {
      const key = `${tap.network}/${tap.resource}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await this.networks.detachTap(tap.network, tap.resource).catch((err: unknown) => {
        this.logger.warn({ err, vm: name, network: tap.network }, 'could not remove the tap of an interrupted start');
      });
    }
    await this.store.removeRuntime(name);
  }

  /** After a crash: the sockets and tap go, the record stays with the reason until the VM is started or stopped. */
  async markCrashed(name: string, record: RuntimeRecord, reason: string): Promise<void> {
    await this.stopTpm(name);
    await this.stopShareDaemons(name);
    await this.removeRunDir(name);
    await this.releaseTaps(name, record.taps);
    await this.store.saveRuntime(name, { ...record, crashed: { reason, at: new Date().toISOString() } });
    this.logger.warn({ vm: name, reason }, 'VM crashed');
  }

  /**
   * Every swtpm holding the VM's TPM state stops: the run's own (which `--terminate` ends
   * with QEMU anyway) and one a killed helper left. Logged, never thrown, as a tap's release.
   */
  stopTpm(name: string): Promise<number[]> {
    return this.stopLogged(name, 'the TPM emulator', () => stopSwtpmsOf(this.layout.tpmStateDir(name)));
  }

  /** Every virtiofsd serving the VM's runtime dir (one QEMU left, or a killed helper's); their mounts end with them. Logged, never thrown. */
  stopShareDaemons(name: string): Promise<number[]> {
    return this.stopLogged(name, "the shared folders' virtiofsd", () => stopVirtiofsdsIn(this.layout.vmRunDir(name)));
  }

  private async stopLogged(name: string, what: string, stop: () => Promise<number[]>): Promise<number[]> {
    try {
      const stopped = await stop();
      if (stopped.length > 0) this.logger.debug({ vm: name, pids: stopped }, `stopped ${what}`);
      return stopped;
    } catch (err) {
      this.logger.warn({ err, vm: name }, `could not stop ${what} of a stopped VM`);
      return [];
    }
  }

  /** Gives every tap back; a failure is logged, never thrown, so stopping a VM always completes. */
  async releaseTaps(name: string, taps: ReadonlyArray<Pick<VmTap, 'network' | 'resource'>>): Promise<void> {
    for (const tap of taps) {
      try {
        await this.networks.detachTap(tap.network, tap.resource);
      } catch (err) {
        this.logger.warn({ err, vm: name, network: tap.network }, 'could not remove the tap of a stopped VM');
      }
    }
  }

  /** A deleted VM's files; with `keepDisks`, the disks it owns stay in its folder. */
  async removeVm(def: VmDefinition, keepDisks: boolean): Promise<void> {
    const dir = this.layout.vmDir(def.name);
    const vms = this.layout.vmsDir;
    if (keepDisks) {
      const keep = new Set(def.disks.filter((d) => d.owned).map((d) => d.path));
      const files = [join(dir, 'serial.log'), this.layout.qemuLog(def.name), join(dir, 'cidata'), this.layout.cloudInitSeed(def.name), this.layout.runtimePaths(def.name).uefiVars];
      files.push(this.layout.swtpmLog(def.name), this.layout.tpmStateDir(def.name), join(dir, 'firmware-snapshots'));
      for (const s of def.shares ?? []) files.push(join(dir, `fs-${s.tag}`), join(dir, `virtiofsd-${s.tag}.log`));
      // A suspended VM's saved state is of no use without the VM (managed-save.ts).
      files.push(join(dir, 'suspended.json'), join(dir, 'suspended.vmstate'), join(dir, 'suspended.vmstate.part'));
      for (const f of files) if (!keep.has(f)) await removeConfined(vms, f);
    } else {
      await removeConfined(vms, dir, `the folder of VM ${def.name}`);
    }
    await this.removeRunDir(def.name);
    await this.store.removeAll(def.name);
  }

  /**
   * A broken VM's files: its definition cannot say which disks it owns, so its folder goes
   * whole (Nova made it, and a VM's own disks live nowhere else), unless another VM's disk
   * chain reads through a file in it, or its QEMU still runs.
   */
  async removeBrokenVm(name: string, userUnder: (dir: string) => Promise<string | null>): Promise<void> {
    const dir = this.layout.vmDir(name);
    const user = await userUnder(dir);
    if (user) throw new NovaError('failed_precondition', `VM ${user} uses a disk in ${dir}, the folder of broken VM ${name}: delete ${user} first`);
    const runtime = await this.store.loadRuntime(name);
    if (runtime && (await isSameProcess(runtime.pid, runtime.startTime))) {
      throw new NovaError('failed_precondition', `VM ${name} is broken but its QEMU (pid ${runtime.pid}) still runs: stop that process first`);
    }
    await removeConfined(this.layout.vmsDir, dir, `the folder of VM ${name}`);
    await this.removeRunDir(name);
    await this.store.removeAll(name);
  }

  /** The runtime dir may be a user's (their QEMU's sockets): removed without following anything in it. */
  private async removeRunDir(name: string): Promise<void> {
    await removeConfined(this.layout.runDir, this.layout.vmRunDir(name), `the runtime folder of VM ${name}`);
  }
}
