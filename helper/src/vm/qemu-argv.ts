// VM definition + runtime paths -> QEMU's exact argv: one pure function with golden
// tests (qemu-argv.test.ts), as Proxmox keeps cfg2cmd. Nothing here touches the host;
// the caller resolves the accelerator, the firmware files, the sockets' paths and each
// disk's backing chain. Disks are written out node by node (JSON -blockdev, as libvirt
// does): every backing file is named, the last qcow2 gets `"backing": null`, so QEMU
// never opens a file because a disk's header names it. QEMU opens none of a VM's disk
// files, ISO, kernel or initrd by name at all: each comes as a descriptor the helper
// opened and checked, a block file in its own fd set (`-add-fd`, its node reading
// `/dev/fdset/N`), the kernel and initrd as QEMU's own `/proc/self/fd/N` (passedFiles
// gives the order in which the launcher hands the descriptors over).
import { hasVirtiofs, shareArgv } from './shared-folders.js';
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import { cdDrivesOf, type VmNic } from '../../../src-shared/vm-devices.js';
import { bootIndexer, cdDeviceArgs, diskDeviceArgs, diskControllerArgs } from './qemu-device-argv.js';
import { isUefi } from '../../../src-shared/vm-platform.js';
import type { DiskFileFormat } from './disk-header.js';
import { cpuModel } from './hyperv.js';
import { flagValue } from '../util/proc-stat.js';
import { usbArgs } from '../devices/usb-argv.js';
import { ivshmemArgs } from '../devices/ivshmem-argv.js';

export interface VmRuntimePaths {
  qmpSocket: string;
  serialSocket: string;
  serialLog: string;
  pidFile: string;
  vncSocket: string;
  spiceSocket: string;
  /** The per-VM copy of OVMF_VARS (UEFI only). */
  uefiVars: string;
  /** swtpm's control socket (VMs with a TPM only). */
  tpmSocket: string;
  /** The guest agent's channel, served by QEMU for the helper to connect (VMs with guestAgent only). */
  guestAgentSocket: string;
}

export interface QemuLaunchSpec {
  qemuBinary: string;
  def: VmDefinition;
  /** Resolved from `accel: auto` by the caller (host check). */
  accel: 'kvm' | 'tcg';
  paths: VmRuntimePaths;
  /** TCP port on 127.0.0.1 for VNC's websocket listener (QEMU refuses a unix one). */
  vncWebsocketPort: number | null;
  /** OVMF code image for def.firmware (the secboot build for uefi-secure), required for UEFI. */
  ovmfCode: string | null;
  /** The taps the network engine made, one per NIC on a Nova network (by NIC index), with the stable MAC of each. */
  taps?: ReadonlyArray<{ index: number; ifname: string; mac: string }>;
  /** The NoCloud seed ISO (def.cloudInit), attached as a read-only CD-ROM. */
  cloudInitSeed?: string | null;
  /** Each disk's backing files by disk id, nearest first, as the helper inspected them; none when absent. */
  backing?: Readonly<Record<string, readonly BackingFile[]>>;
  /** `-S`: the guest's CPUs wait for QMP's `cont`, so nothing runs before the helper has its monitor (and its records). */
  paused?: boolean;
  /** `-incoming defer`: the guest's state comes over QMP (`migrate-incoming`), as a suspended VM resumes. */
  incoming?: boolean;
  /** CPU features turned off: a guest arriving from a host whose CPU has fewer sees only those (cpu-features.ts). */
  cpuOff?: readonly string[];
  /** Device ids in boot order (resolveBootOrder); null or absent: the CD first, then the disks. */
  bootOrder?: readonly string[] | null;
  /** Each virtiofs share's virtiofsd socket, by tag (VmLayout.virtiofsSockets). */
  virtiofsSockets?: Readonly<Record<string, string>>;
}

/** One file below a disk in its chain. */
export interface BackingFile {
  path: string;
  format: DiskFileFormat;
}

/** The first of QEMU's descriptors beyond stdio: the passed files become fds 3, 4, ... (ProcessRunner's passFds). */
export const FIRST_PASSED_FD = 3;

/** A file QEMU gets as an open descriptor, not by name. */
export interface PassedFile {
  /** What QEMU knows it as: a -blockdev file node ("disk0-file", "disk0-b1-file", "cd0-file"), or "kernel" / "initrd". */
  node: string;
  /** Whose descriptor it is: a disk id with the depth in that disk's chain (0: the top), or 'iso', 'kernel', 'initrd'. */
  disk: string;
  level: number;
  /** Opened read-only: all but the top of a writable disk. */
  readOnly: boolean;
}

/** The direct-boot files, which QEMU loads with a plain open(): no fd set, its own /proc/self/fd/N instead. */
const LOADED_FILES = new Set(['kernel', 'initrd']);

/** Every file QEMU gets as a descriptor, in the order they become its fds: each disk top to bottom, the ISO, the kernel and initrd. */
export function passedFiles(def: VmDefinition, backing: Readonly<Record<string, readonly BackingFile[]>> = {}): PassedFile[] {
  const out: PassedFile[] = [];
  for (const d of def.disks) {
    out.push({ node: `${d.id}-file`, disk: d.id, level: 0, readOnly: d.readOnly });
    (backing[d.id] ?? []).forEach((_, i) => out.push({ node: `${d.id}-b${i + 1}-file`, disk: d.id, level: i + 1, readOnly: true }));
  }
  if (def.iso) out.push({ node: 'cd0-file', disk: 'iso', level: 0, readOnly: true });
  for (const cd of def.cdroms ?? []) if (cd.path !== null) out.push({ node: `${cd.id}-file`, disk: cd.id, level: 0, readOnly: true });
  if (def.kernel) out.push({ node: 'kernel', disk: 'kernel', level: 0, readOnly: true });
  if (def.kernel?.initrd) out.push({ node: 'initrd', disk: 'initrd', level: 0, readOnly: true });
  return out;
}

/** QEMU's option syntax: a comma inside a value is written twice. */
export function qemuEscape(value: string): string {
  return value.replaceAll(',', ',,');
}

export function buildQemuArgv(spec: QemuLaunchSpec): string[] {
  const { def, paths } = spec;
  const micro = def.machine === 'microvm';
  const e = qemuEscape;
  const argv: string[] = [spec.qemuBinary];
  const add = (...items: string[]) => argv.push(...items);

  // The process name and the pidfile (in this helper's run dir) let recovery recognise this
  // VM's QEMU from /proc/PID/cmdline alone (qemuArgvIsVm), even without a runtime record.
  add('-name', `guest=${e(def.name)},process=nova-vm-${def.name},debug-threads=on`);
  if (spec.paused) add('-S');
  if (spec.incoming) add('-incoming', 'defer');
  add('-nodefaults', '-no-user-config');
  const machine = [micro ? 'microvm' : 'q35'];
  // microvm with ACPI hangs at TSC calibration under TCG; without it a graceful stop
  // cannot press a power button, so stop falls back to quit after its timeout.
  if (micro) machine.push('acpi=off', 'x-option-roms=off', 'rtc=on');
  const uefi = !micro && isUefi(def.firmware);
  // Secure Boot's variables are guarded by SMM: without it the guest could rewrite them.
  if (!micro && def.firmware === 'uefi-secure') machine.push('smm=on');
  if (uefi) machine.push('pflash0=ovmf-code', 'pflash1=ovmf-vars');
  // virtiofsd reads and writes the guest's buffers in its RAM itself: that RAM must be shareable memory.
  const sharedRam = !micro && hasVirtiofs(def);
  if (sharedRam) {
    machine.push('memory-backend=ram');
    add('-object', `memory-backend-memfd,id=ram,size=${def.memoryMiB}M,share=on`);
  }
  add('-machine', machine.join(','));
  if (!micro && def.firmware === 'uefi-secure') add('-global', 'driver=cfi.pflash01,property=secure,value=on');
  add('-accel', spec.accel);
  add('-cpu', [cpuModel(spec.accel, def.hyperv === true), ...(spec.cpuOff ?? []).map((f) => `-${f}`)].join(','));
  add('-smp', String(def.cpus));
  add('-m', `${def.memoryMiB}M`);
  add('-rtc', def.osType === 'windows' ? 'base=localtime' : 'base=utc');
  add('-pidfile', paths.pidFile);
  add('-msg', 'timestamp=on');
  add('-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
  // One fd set per block file, so QEMU's open of /dev/fdset/N can only ever yield that file.
  const passed = passedFiles(def, spec.backing);
  passed.forEach((p, i) => LOADED_FILES.has(p.node) || add('-add-fd', `fd=${FIRST_PASSED_FD + i},set=${i + 1},opaque=${p.node}`));
  const fdsetOf = (node: string) => `/dev/fdset/${passed.findIndex((p) => p.node === node) + 1}`;
  // Reopening its own descriptor's magic link yields that very file, whatever its path names now.
  const ownFd = (node: string) => `/proc/self/fd/${FIRST_PASSED_FD + passed.findIndex((p) => p.node === node)}`;

  if (uefi) {
    if (!spec.ovmfCode) throw new Error('UEFI firmware requested but no OVMF code image given');
    add('-blockdev', `driver=file,filename=${e(spec.ovmfCode)},node-name=ovmf-code,read-only=on`);
    add('-blockdev', `driver=file,filename=${e(paths.uefiVars)},node-name=ovmf-vars`);
  }

  if (def.kernel) {
    add('-kernel', ownFd('kernel'));
    if (def.kernel.initrd) add('-initrd', ownFd('initrd'));
    if (def.kernel.cmdline) add('-append', def.kernel.cmdline);
  }

  const bootIndex = bootIndexer(def, spec.bootOrder ?? null);
  add(...diskControllerArgs(def.disks, micro));
  def.disks.forEach((disk, index) => add(...diskArgs(disk, def.disks, spec.backing?.[disk.id] ?? [], micro, bootIndex(disk.id, index), fdsetOf)));
  for (const cd of cdDrivesOf(def)) add(...cdDeviceArgs(cd, micro, bootIndex(cd.id, 0), fdsetOf));

  if (def.cloudInit) {
    if (!spec.cloudInitSeed) throw new Error('cloud-init is configured but no seed ISO was given');
    add('-blockdev', `driver=file,filename=${e(spec.cloudInitSeed)},node-name=seed0-file,read-only=on`);
    add('-blockdev', 'driver=raw,file=seed0-file,node-name=seed0,read-only=on');
    // Its own AHCI port (ide.1), beside an installer ISO on ide.0; never a boot device.
    add('-device', micro ? 'virtio-blk-device,drive=seed0,id=seed0-dev' : 'ide-cd,drive=seed0,id=seed0-dev,bus=ide.1');
  }

  def.nics.forEach((nic, index) => add(...nicArgs(def, nic, index, spec.taps ?? [], e)));

  if (def.tpm === true) add(...tpmArgs(paths.tpmSocket));
  add(...channelArgs(def, paths.guestAgentSocket));
  // An absolute pointer: the guest's cursor is where the console's is, with no grab.
  if (!micro && def.tablet === true) add('-device', 'qemu-xhci,id=xhci0', '-device', 'usb-tablet,bus=xhci0.0');

  add('-display', 'none');
  if (!micro && def.display.spice) add('-vga', 'qxl');
  else if (!micro && def.display.vnc) add('-vga', 'std');
  if (!micro && def.display.vnc) {
    const ws = spec.vncWebsocketPort === null ? '' : `,websocket=127.0.0.1:${spec.vncWebsocketPort}`;
    // password=on with no password set refuses everyone until set_password runs.
    add('-vnc', `unix:${e(paths.vncSocket)},password=on${ws}`);
  }
  if (!micro && def.display.spice) {
    add('-spice', `unix=on,addr=${e(paths.spiceSocket)},disable-ticketing=on`);
  }
  // After -spice: the redirection channels are SPICE's own chardevs.
  add(...usbArgs(def, micro));
  add(...ivshmemArgs(def.name, micro ? undefined : def.lookingGlass));

  add(...shareArgv(def.shares ?? [], micro, e, spec.virtiofsSockets));
  add('-chardev', `socket,id=ser0,path=${e(paths.serialSocket)},server=on,wait=off,logfile=${e(paths.serialLog)}`);
  add('-serial', 'chardev:ser0');
  add('-chardev', `socket,id=qmp,path=${e(paths.qmpSocket)},server=on,wait=off`);
  add('-mon', 'chardev=qmp,mode=control');
  return argv;
}

/** NIC netN: its netdev (netN) and guest device (netN-dev, the name set_link takes). */
function nicArgs(def: VmDefinition, nic: VmNic, index: number, taps: NonNullable<QemuLaunchSpec['taps']>, e: (v: string) => string): string[] {
  const id = `net${index}`;
  const device = `${nicDevice(def, nic)},netdev=${id},id=${id}-dev`;
  if (nic.network.mode === 'user') {
    // restrict=on: the guest reaches nothing outside itself (no host, no internet).
    return ['-netdev', `user,id=${id},restrict=on`, '-device', device + (nic.mac ? `,mac=${nic.mac}` : '')];
  }
  const tap = taps.find((t) => t.index === index);
  if (!tap) throw new Error(`VM ${def.name} joins network ${nic.network.network} on ${id} but no tap was given`);
  // script=no: the helper made the tap and put it on the bridge; QEMU only opens it.
  return ['-netdev', `tap,id=${id},ifname=${e(tap.ifname)},script=no,downscript=no`, '-device', `${device},mac=${nic.mac ?? tap.mac}`];
}

/** A NIC's device: microvm has virtio-mmio only; e1000e where the guest has no virtio drivers (a Windows installer). */
function nicDevice(def: VmDefinition, nic: VmNic): string {
  if (def.machine === 'microvm') return 'virtio-net-device';
  return nic.model === 'e1000e' ? 'e1000e' : 'virtio-net-pci';
}

/**
 * The virtio-serial ports: the QEMU guest agent's (org.qemu.guest_agent.0, on a socket
 * QEMU serves and the helper connects to) and, with a SPICE display, the SPICE agent's
 * (com.redhat.spice.0: clipboard, and the resolution following the viewer's window).
 */
function channelArgs(def: VmDefinition, agentSocket: string): string[] {
  const micro = def.machine === 'microvm';
  const agent = def.guestAgent === true;
  const spice = !micro && def.display.spice;
  if (!agent && !spice) return [];
  const args = ['-device', `${micro ? 'virtio-serial-device' : 'virtio-serial-pci'},id=vser0`];
  if (agent) {
    args.push('-chardev', `socket,id=qga0,path=${qemuEscape(agentSocket)},server=on,wait=off`);
    args.push('-device', 'virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0');
  }
  if (spice) {
    args.push('-chardev', 'spicevmc,id=vdagent0,name=vdagent');
    args.push('-device', 'virtserialport,bus=vser0.0,chardev=vdagent0,name=com.redhat.spice.0');
  }
  return args;
}

/** QEMU talks to the VM's swtpm over its control socket; the CRB interface is what Windows 11 and OVMF expect. */
function tpmArgs(socket: string): string[] {
  return ['-chardev', `socket,id=chrtpm,path=${qemuEscape(socket)}`, '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm', '-device', 'tpm-crb,tpmdev=tpm0'];
}

function diskArgs(disk: VmDisk, disks: readonly VmDisk[], backing: readonly BackingFile[], micro: boolean, bootindex: number | null, fdsetOf: (node: string) => string): string[] {
  const nodes = [{ name: disk.id, path: disk.path, format: disk.format as DiskFileFormat }, ...backing.map((b, i) => ({ name: `${disk.id}-b${i + 1}`, ...b }))];
  const args: string[] = [];
  // The bottom first: a node must exist before the one naming it as its backing.
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const top = i === 0;
    const below = nodes[i + 1]?.name ?? null;
    if (node.format !== 'qcow2' && below) throw new Error(`${node.path} is ${node.format}: it cannot have a backing file`);
    // read-only makes QEMU ask the fd set for a read-only descriptor: the one that was opened so.
    const ro = top && !disk.readOnly ? {} : { 'read-only': true };
    const file = { driver: 'file', 'node-name': `${node.name}-file`, filename: fdsetOf(`${node.name}-file`), ...(top ? { discard: 'unmap' } : {}), ...ro, ...cacheOptions(disk) };
    const format = { driver: node.format, 'node-name': node.name, file: `${node.name}-file`, ...ro, ...(node.format === 'qcow2' ? { backing: below } : {}) };
    args.push('-blockdev', JSON.stringify(file), '-blockdev', JSON.stringify(format));
  }
  return [...args, ...diskDeviceArgs(disk, disks, micro, bootindex)];
}

/** QEMU's cache modes as -blockdev options; writethrough is the device's write-cache=off (qemu-device-argv.ts). */
function cacheOptions(disk: VmDisk): Record<string, unknown> {
  if (disk.cache === 'none') return { cache: { direct: true, 'no-flush': false } };
  if (disk.cache === 'unsafe') return { cache: { direct: false, 'no-flush': true } };
  return {};
}

/** Whether a command line is the QEMU of VM `name` run by the helper whose pidfile for it is `pidFile`: both must be named. */
export function qemuArgvIsVm(argv: readonly string[], name: string, pidFile: string): boolean {
  return (flagValue(argv, '-name') ?? '').split(',').includes(`process=nova-vm-${name}`) && flagValue(argv, '-pidfile') === pidFile;
}
