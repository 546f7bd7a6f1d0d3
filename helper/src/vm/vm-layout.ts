// Where a VM's files live. Desired state and records sit in the state dir
// (<state>/vms/NAME.json, NAME.runtime.json, NAME.snapshots.json, NAME/ for disks and
// logs); sockets sit in a short runtime dir, because a unix socket path has 108 bytes.
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { shareTransport } from '../../../src-shared/vm-shares.js';
import type { VmRuntimePaths } from './qemu-argv.js';
import { virtiofsdPaths } from './virtiofsd.js';

const MAX_SOCKET_PATH = 107;

export class VmLayout {
  constructor(
    readonly stateDir: string,
    readonly runDir: string,
  ) {}

  get vmsDir(): string {
    return join(this.stateDir, 'vms');
  }
  get imagesDir(): string {
    return join(this.stateDir, 'images');
  }
  definition(name: string): string {
    return join(this.vmsDir, `${name}.json`);
  }
  runtime(name: string): string {
    return join(this.vmsDir, `${name}.runtime.json`);
  }
  snapshots(name: string): string {
    return join(this.vmsDir, `${name}.snapshots.json`);
  }
  /** Disks, NVRAM, logs: everything deleted with the VM. */
  vmDir(name: string): string {
    return join(this.vmsDir, name);
  }
  qemuLog(name: string): string {
    return join(this.vmDir(name), 'qemu.log');
  }
  /** The cloud-init NoCloud seed, rebuilt at each start. */
  cloudInitSeed(name: string): string {
    return join(this.vmDir(name), 'cidata.iso');
  }
  /** swtpm's state (tpm2-00.permall): the VM's TPM, kept with its disks. */
  tpmStateDir(name: string): string {
    return join(this.vmDir(name), 'tpm');
  }
  swtpmLog(name: string): string {
    return join(this.vmDir(name), 'swtpm.log');
  }
  swtpmPidFile(name: string): string {
    return join(this.vmRunDir(name), 'swtpm.pid');
  }
  /** The UEFI variables and TPM state as they were when snapshot `snap` was taken. */
  firmwareSnapshotDir(name: string, snap: string): string {
    return join(this.vmDir(name), 'firmware-snapshots', snap);
  }
  /** Each virtiofs share's vhost-user socket, by tag. */
  virtiofsSockets(def: VmDefinition): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of def.shares ?? []) if (shareTransport(s) === 'virtiofs') out[s.tag] = virtiofsdPaths(this.vmRunDir(def.name), this.vmDir(def.name), s.tag).socket;
    return out;
  }
  vmRunDir(name: string): string {
    return join(this.runDir, name);
  }

  runtimePaths(name: string): VmRuntimePaths {
    const run = this.vmRunDir(name);
    const paths: VmRuntimePaths = {
      qmpSocket: join(run, 'qmp.sock'),
      serialSocket: join(run, 'serial.sock'),
      serialLog: join(this.vmDir(name), 'serial.log'),
      pidFile: join(run, 'qemu.pid'),
      vncSocket: join(run, 'vnc.sock'),
      spiceSocket: join(run, 'spice.sock'),
      uefiVars: join(this.vmDir(name), 'OVMF_VARS.fd'),
      tpmSocket: join(run, 'swtpm.sock'),
      guestAgentSocket: join(run, 'qga.sock'),
    };
    for (const sock of [paths.qmpSocket, paths.serialSocket, paths.vncSocket, paths.spiceSocket, paths.tpmSocket, paths.guestAgentSocket]) {
      if (Buffer.byteLength(sock) > MAX_SOCKET_PATH) {
        throw new NovaError('failed_precondition', `socket path ${sock} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter runtime directory`);
      }
    }
    return paths;
  }
}
