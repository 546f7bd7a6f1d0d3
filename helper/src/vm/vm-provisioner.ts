// Making a VM's definition and disks: a new VM from a spec (a new disk, an overlay on an
// image, overlays on a template's disks, or an image used as it is) and the changes
// `vm.update` makes to a stopped VM. Every caller path is resolved before anything is
// made; whatever was made is removed again when the create fails or is cancelled.
// A caller's image is taken with its whole chain checked (disk-chain.ts): inside the
// allowed folders, the caller's to read (and to write, used in place), self-contained.
import { copyFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { healthCheckProblem, type HealthCheck } from '../../../src-shared/health.js';
import { MEBIBYTE, nicsFromNetwork, VM_DEFINITION_VERSION, vmNetworkFromChoice, type VmCreateSpec, type VmDefinition, type VmDisk, type VmUpdateSpec } from '../../../src-shared/vm.js';
import { nicFromSpec, novaNetworksOf, type NicModel, type VmNic } from '../../../src-shared/vm-devices.js';
import type { OperationHandle } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { deviceDefaultsOf, resolvePlatform } from '../../../src-shared/vm-platform.js';
import { passthroughFields } from '../../../src-shared/vm-passthrough.js';
import { cloudInitDefinition } from './cloud-init-seed.js';
import { imagesFor, type FirmwareImages } from './firmware.js';
import type { OsProfiles } from './os-profiles.js';
import { VM_DISK_FORMATS, type DiskChain, type DiskInspector } from './disk-chain.js';
import type { PathGuard } from './path-guard.js';
import type { QemuImg } from './qemu-img.js';
import type { Credentials } from './run-as-user.js';
import type { VmDiskFiles } from './vm-disk-files.js';
import type { VmLayout } from './vm-layout.js';
import type { VmNetworkPort } from './vm-network.js';
import { makeVmFolder } from './vm-runtime-files.js';
import type { VmStore } from './vm-store.js';

export interface ProvisionerOptions {
  layout: VmLayout;
  store: VmStore;
  guard: PathGuard;
  inspector: DiskInspector;
  diskFiles: VmDiskFiles;
  img: QemuImg;
  runner: ProcessRunner;
  networks: VmNetworkPort;
  firmware: FirmwareImages;
  osProfiles: OsProfiles;
}

export class VmProvisioner {
  constructor(private readonly o: ProvisionerOptions) {}

  /**
   * Runs inside the create operation, holding the new name (and the template's). The
   * image is inspected with its whole chain and held open until its overlay is made.
   */
  async create(spec: VmCreateSpec, op: OperationHandle, caller: Credentials | null): Promise<VmDefinition> {
    const image = spec.image
      ? await this.o.inspector.inspect(spec.image, { what: 'the image', formats: VM_DISK_FORMATS, caller, topWritable: !spec.linkedImage, signal: op.signal })
      : null;
    try {
      return await this.createWith(spec, image, op, caller);
    } finally {
      await image?.close();
    }
  }

  private async createWith(spec: VmCreateSpec, image: DiskChain | null, op: OperationHandle, caller: Credentials | null): Promise<VmDefinition> {
    const { store, guard, img, diskFiles } = this.o;
    const { signal } = op;
    op.progress({ phase: 'checking the settings' });
    if (await store.exists(spec.name)) throw new NovaError('already_exists', `VM ${spec.name} already exists`);
    // An OS profile raises what is below the OS's minimum to what it recommends; more is the caller's to give.
    const profile = spec.os ? await this.o.osProfiles.profile(spec.os) : null;
    const raised = (given: number, min: number | undefined, rec: number | undefined) => (profile && min !== undefined && rec !== undefined && given < Math.max(min, 1) ? rec : given);
    // Sizes arrive parsed to whole MiB by the contract's schema (src-shared/vocabulary/size.ts).
    const mem = raised(spec.memory, profile?.minimum.memoryMiB, profile?.memoryMiB);
    const cpus = raised(spec.cpus, profile?.minimum.cpus, profile?.cpus);
    const template = spec.fromTemplate ? await store.loadDefinition(spec.fromTemplate) : null;
    if (template && !template.template) throw new NovaError('failed_precondition', `VM ${spec.fromTemplate} is not a template`);
    const iso = spec.iso ? await guard.existingFile('the ISO', spec.iso, caller) : null;
    const driverIso = spec.driverIso ? await guard.existingFile('the driver ISO', spec.driverIso, caller) : null;
    const kernel = spec.kernel ? await guard.existingFile('the kernel', spec.kernel, caller) : null;
    const initrd = spec.initrd ? await guard.existingFile('the initrd', spec.initrd, caller) : null;
    // An ISO install with a profile and no disk asked for gets the disk the OS recommends.
    const diskMiB = spec.diskSize ?? (profile && iso && !spec.image && !template ? profile.diskMiB : undefined);
    const newDisk = diskMiB !== undefined ? diskMiB * MEBIBYTE : null;
    if (spec.machine === 'microvm' && !kernel && !template?.kernel) {
      throw new NovaError('invalid_argument', 'a microvm boots a kernel directly: give kernel (and initrd)');
    }
    if (initrd && !kernel) throw new NovaError('invalid_argument', 'an initrd needs a kernel');
    const platform = template ? { firmware: template.firmware, tpm: template.tpm === true, hyperv: template.hyperv === true } : resolvePlatform({ ...spec, machine: spec.machine });
    const ovmf = imagesFor(this.o.firmware, platform.firmware);
    const passthrough = passthroughFields(template?.machine ?? spec.machine, spec);
    const nicsOf = createNics(spec);
    for (const network of novaNetworksOf({ nics: nicsOf(undefined) })) await this.o.networks.checkNetwork(network);
    checkHealth(spec.name, spec.health, nicsOf(undefined));
    const cloudInit = spec.cloudInit ? await cloudInitDefinition(spec.cloudInit, null, { runner: this.o.runner, signal }) : null;
    op.throwIfCancelled();

    const dir = await makeVmFolder(this.o.layout, spec.name);
    op.onUndo(async () => {
      await rm(dir, { recursive: true, force: true });
      await store.removeAll(spec.name);
    });
    const disks: VmDisk[] = [];
    for (const d of template?.disks ?? []) {
      op.progress({ phase: `creating ${d.id} on template ${template!.name}'s disk` });
      const path = join(dir, `${d.id}.qcow2`);
      await img.createOverlay(path, d.path, d.format, await diskFiles.sizeOf(template!, d, signal), { signal });
      disks.push({ id: d.id, path, format: 'qcow2', owned: true, readOnly: false, ...(d.bus ? { bus: d.bus } : {}), ...(d.cache ? { cache: d.cache } : {}) });
    }
    const id = `disk${disks.length}`;
    if (image) {
      const { top } = image;
      const format = top.format === 'qcow2' ? 'qcow2' : 'raw';
      if (spec.linkedImage) {
        op.progress({ phase: `creating ${id} on image ${basename(top.path)}` });
        const path = join(dir, `${id}.qcow2`);
        await img.createOverlay(path, top.path, format, Math.max(newDisk ?? 0, top.virtualSize), { signal });
        disks.push({ id, path, format: 'qcow2', owned: true, readOnly: false });
      } else {
        disks.push({ id, path: top.path, format, owned: false, readOnly: false });
      }
    } else if (newDisk) {
      op.progress({ phase: `creating ${id}` });
      const path = join(dir, `${id}.qcow2`);
      await img.create(path, newDisk, { signal });
      disks.push({ id, path, format: 'qcow2', owned: true, readOnly: false });
    }
    op.throwIfCancelled();
    op.progress({ phase: 'saving the definition', cancellable: false });
    // A template's VMs have the template's devices; a new VM those its OS's installer needs.
    const devices = template
      ? { diskBus: null, nicModel: template.nics[0]?.model ?? 'virtio', tablet: template.tablet === true, guestAgent: template.guestAgent === true }
      : deviceDefaultsOf(spec.os, driverIso !== null);
    const def: VmDefinition = {
      version: VM_DEFINITION_VERSION,
      name: spec.name,
      osType: template?.osType ?? (spec.osType === 'linux' && profile ? profile.osType : spec.osType),
      cpus,
      memoryMiB: mem,
      machine: template?.machine ?? spec.machine,
      firmware: platform.firmware,
      ...(platform.tpm ? { tpm: true } : {}),
      ...(platform.hyperv ? { hyperv: true } : {}),
      accel: spec.accel,
      disks: bootDiskSet(disks, spec.diskBus ?? devices.diskBus, spec.diskCache),
      iso,
      ...(driverIso ? { cdroms: [{ id: 'cd1', path: driverIso }] } : {}),
      ...(devices.tablet ? { tablet: true } : {}),
      ...(spec.bootOrder ? { bootOrder: spec.bootOrder } : {}),
      ...((spec.guestAgent ?? devices.guestAgent) ? { guestAgent: true } : {}),
      kernel: kernel ? { kernel, initrd, cmdline: spec.cmdline ?? '' } : (template?.kernel ?? null),
      nics: nicsOf(devices.nicModel),
      cloudInit,
      display:
        spec.machine === 'microvm'
          ? { vnc: false, spice: false }
          : { vnc: spec.display === 'vnc' || spec.display === 'both', spice: spec.display === 'spice' || spec.display === 'both' },
      template: false,
      description: spec.description,
      createdAt: new Date().toISOString(),
      ...(spec.project !== undefined ? { project: spec.project } : {}),
      ...(spec.health !== undefined ? { health: spec.health } : {}),
      ...(spec.os !== undefined ? { os: spec.os } : template?.os !== undefined ? { os: template.os } : {}),
      ...(spec.devices && spec.devices.length > 0 ? { devices: spec.devices } : {}),
      ...passthrough,
    };
    // The VM's own NVRAM: Secure Boot's template has Microsoft's keys enrolled.
    if (ovmf) await copyFile(ovmf.vars, this.o.layout.runtimePaths(def.name).uefiVars);
    await store.saveDefinition(def);
    return def;
  }

  /** The definition `spec` makes of `def`; the caller checks the VM is stopped and saves it. */
  async updated(def: VmDefinition, spec: VmUpdateSpec): Promise<VmDefinition> {
    const next: VmDefinition = { ...def };
    if (spec.cpus !== undefined) next.cpus = spec.cpus;
    if (spec.memory !== undefined) next.memoryMiB = spec.memory;
    if (spec.accel !== undefined) next.accel = spec.accel;
    if (spec.description !== undefined) next.description = spec.description;
    if (spec.cmdline !== undefined) {
      if (!def.kernel) throw new NovaError('invalid_argument', `VM ${spec.name} boots from disk: a kernel command line needs direct kernel boot`);
      next.kernel = { ...def.kernel, cmdline: spec.cmdline };
    }
    if (spec.network !== undefined) {
      // The single-network key speaks of the first NIC: none removes every NIC, a network with none adds one.
      const network = vmNetworkFromChoice(spec.network);
      if (network.mode === 'nova') await this.o.networks.checkNetwork(network.network);
      const [first, ...rest] = def.nics;
      next.nics = network.mode === 'none' ? [] : first ? [{ ...first, network }, ...rest] : nicsFromNetwork(network);
    }
    if (spec.cloudInit !== undefined) {
      next.cloudInit = spec.cloudInit === null ? null : await cloudInitDefinition(spec.cloudInit, def.cloudInit, { runner: this.o.runner });
    }
    if (spec.display !== undefined && def.machine !== 'microvm') {
      next.display = { vnc: spec.display === 'vnc' || spec.display === 'both', spice: spec.display === 'spice' || spec.display === 'both' };
    }
    if (spec.autostart === null) delete next.autostart;
    else if (spec.autostart !== undefined) next.autostart = spec.autostart;
    if (spec.restart !== undefined) next.restart = spec.restart;
    if (spec.health === null) delete next.health;
    else if (spec.health !== undefined) next.health = spec.health;
    checkHealth(spec.name, next.health, next.nics);
    return next;
  }
}

/** The boot disk (disk0) on the bus and with the cache asked for; virtio and writeback stay unwritten, as definitions always had them. */
function bootDiskSet(disks: VmDisk[], bus: VmDisk['bus'] | null, cache: VmDisk['cache'] | undefined): VmDisk[] {
  return disks.map((d) => (d.id !== 'disk0' ? d : { ...d, ...(bus && bus !== 'virtio' ? { bus } : {}), ...(cache && cache !== 'writeback' ? { cache } : {}) }));
}

/** A check the VM cannot run (exec, tcp without a Nova network, a pattern that does not compile) is refused up front. */
/** A create's NICs: `nics` whole, or the one `network` (with `nicMac`) makes; the model, where none is given, the OS profile's. */
function createNics(spec: VmCreateSpec): (defaultModel: NicModel | undefined) => VmNic[] {
  if (spec.nics !== undefined && (spec.network !== 'none' || spec.nicMac !== undefined)) {
    throw new NovaError('invalid_argument', `VM ${spec.name}: give its NICs either as nics or as network (and nicMac), not both`);
  }
  return (model) => (spec.nics ? spec.nics.map((n) => nicFromSpec({ ...n, model: n.model ?? model })) : nicsFromNetwork(vmNetworkFromChoice(spec.network), spec.nicMac ?? null, model));
}

/** Health probes by address find the guest on the Nova network of its first NIC there. */
function checkHealth(name: string, check: HealthCheck | undefined, nics: readonly VmNic[]): void {
  const problem = check ? healthCheckProblem('vm', check, novaNetworksOf({ nics }).length > 0) : null;
  if (problem) throw new NovaError('invalid_argument', `VM ${name}: ${problem}`);
}
