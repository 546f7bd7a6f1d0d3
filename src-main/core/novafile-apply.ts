// Applies one resource of a NovaFile through the helper, as `nova run` does: the
// networks it names are created when missing, the VM (or capsule) is created or brought
// in line, then started. What this host or this Nova cannot do is refused before any
// change, and every refusal or helper error names the NovaFile line it comes from.
import { deviceUpdate } from './project/vm-device-model.js';
import { lifecycleUpdate } from './project/vm-lifecycle-model.js';
import { passthroughUpdate } from './project/vm-passthrough-model.js';
import { chooseGpu } from './project/gpu-choice.js';
import type { HelperMethodName, ParamsIn, ResultOf } from '../../src-shared/api/nova-api.js';
import { NovaError, isNovaError } from '../../src-shared/errors.js';
import type { HostReport } from '../../src-shared/host.js';
import type { NetworkSpecInput } from '../../src-shared/network.js';
import { MEBIBYTE, type CloudInitSpecIn, type VmCreateSpecIn, type VmDefinition, type VmUpdateSpecIn } from '../../src-shared/vm.js';
import type { CapsuleSpecIn } from '../../src-shared/capsule.js';
import type { CapsuleConfig, NetworkConfig, NovaFileConfig, VmConfig } from './novafile/novafile-config.js';
import { indexKeyPositions, type KeyPath } from './novafile/novafile-positions.js';

/** The helper calls apply needs; HelperClient is one. */
export interface ApplyClient {
  call<M extends HelperMethodName>(method: M, params: ParamsIn<M>): Promise<ResultOf<M>>;
}

/** "NovaFile.toml:12:1" for a key path (or its nearest written table), or null. */
export type Locate = (path: KeyPath) => string | null;

export interface ApplyOptions {
  helper: ApplyClient;
  locate?: Locate;
  /** Each action as it completes ("network lab: created"). */
  onAction?: (line: string) => void;
}

export interface ApplyReport {
  /** What was done, in order. */
  actions: string[];
  /** What was left as it is, and why. */
  notices: string[];
}

export function novaFileLocator(file: string, text: string): Locate {
  const positions = indexKeyPositions(text);
  return (path) => {
    // [container.NAME] and [capsule.NAME] are one kind of table: look under the one written.
    const alias = path[0] === 'container' && !positions.find(path.slice(0, 2)) ? ['capsule', ...path.slice(1)] : path;
    const { location } = positions.closest(alias);
    return `${file}:${location.key.line}:${location.key.column}`;
  };
}

// ---------------------------------------------------------------------------------
// Pure mapping: NovaFile config -> helper params

export function networkSpec(net: NetworkConfig, domain?: string, project?: string): NetworkSpecInput {
  const spec: NetworkSpecInput = {
    name: net.name,
    type: net.type,
    profile: net.profile,
    uplinks: net.interfaces,
    peers: net.peers,
    forwards: net.forwards,
  };
  if (net.subnet) spec.subnet = `${net.subnet.gateway}/${net.subnet.prefix}`;
  if (net.dhcpRange) spec.dhcpRange = { start: net.dhcpRange.start, end: net.dhcpRange.end };
  if (net.dns !== undefined) spec.dns = net.dns;
  if (net.driver !== undefined) spec.driver = net.driver;
  if (net.vni !== undefined) spec.vni = net.vni;
  if (net.listenPort !== undefined) spec.listenPort = net.listenPort;
  if (net.egressAllow.length > 0) spec.egressAllow = net.egressAllow;
  // The project's domain: guests resolve as NAME.NETWORK.<domain> instead of NAME.NETWORK.nova.
  if (domain) spec.domain = `${net.name}.${domain}`;
  if (project !== undefined) spec.project = project;
  return spec;
}

function cloudInitSpec(vm: VmConfig): CloudInitSpecIn | undefined {
  const ci = vm.cloudInit;
  if (!ci) return undefined;
  const spec: CloudInitSpecIn = { sshAuthorizedKeys: ci.sshAuthorizedKeys };
  if (ci.hostname) spec.hostname = ci.hostname;
  if (ci.user) spec.user = ci.user;
  if (ci.password) spec.password = ci.password;
  return spec;
}

/** `project`: the NovaFile's, so the VM is known as that project's own. */
export function vmCreateSpec(vm: VmConfig, project?: string): VmCreateSpecIn {
  const spec: VmCreateSpecIn = { name: vm.name, network: vm.network ? { nova: vm.network } : 'none' };
  // Several networks, or a NIC model: one NIC each, with its MAC and model.
  const nics = vm.nics ?? [];
  if (nics.length > 1 || nics.some((n) => n.model !== undefined)) {
    spec.network = 'none';
    spec.nics = nics.map((n) => ({ network: { nova: n.network }, ...(n.mac !== undefined ? { mac: n.mac } : {}), ...(n.model !== undefined ? { model: n.model } : {}) }));
  }
  if (vm.cpu !== undefined) spec.cpus = vm.cpu;
  if (vm.memoryMiB !== undefined) spec.memory = vm.memoryMiB;
  if (vm.diskSizeMiB !== undefined) spec.diskSize = vm.diskSizeMiB;
  if (vm.image !== undefined) spec.image = vm.image;
  if (vm.iso !== undefined) spec.iso = vm.iso;
  if (vm.kernel !== undefined) spec.kernel = vm.kernel;
  if (vm.initrd !== undefined) spec.initrd = vm.initrd;
  if (vm.cmdline !== undefined) spec.cmdline = vm.cmdline;
  if (vm.machine !== undefined) spec.machine = vm.machine;
  if (vm.firmware !== undefined) spec.firmware = vm.firmware;
  if (vm.os !== undefined) spec.os = vm.os;
  if (vm.tpm !== undefined) spec.tpm = vm.tpm;
  if (vm.secureBoot !== undefined) spec.secureBoot = vm.secureBoot;
  if (vm.hyperv !== undefined) spec.hyperv = vm.hyperv;
  if (vm.accel !== undefined) spec.accel = vm.accel;
  if (vm.display !== undefined) spec.display = vm.display;
  if (vm.mac !== undefined && !spec.nics) spec.nicMac = vm.mac;
  if (vm.diskBus !== undefined) spec.diskBus = vm.diskBus;
  if (vm.diskCache !== undefined) spec.diskCache = vm.diskCache;
  if (vm.disks !== undefined) spec.disks = vm.disks;
  if (vm.driverIso !== undefined) spec.driverIso = vm.driverIso;
  if (vm.cdroms !== undefined) spec.cdroms = vm.cdroms;
  if (vm.bootOrder !== undefined) spec.bootOrder = vm.bootOrder;
  if (vm.guestAgent !== undefined) spec.guestAgent = vm.guestAgent;
  const ci = cloudInitSpec(vm);
  if (ci) spec.cloudInit = ci;
  if (project !== undefined) spec.project = project;
  if (vm.health !== undefined) spec.health = vm.health;
  const named = vm.gpuPassthrough.kind === 'devices' ? vm.gpuPassthrough.addresses : [];
  const pci = [...new Set([...named, ...(vm.pciDevices ?? [])])];
  if (pci.length > 0) spec.devices = pci.map((address) => ({ address }));
  if (vm.usb && vm.usb.length > 0) spec.usb = vm.usb;
  if (vm.lookingGlass) spec.lookingGlass = vm.lookingGlass;
  if (vm.mdevs && vm.mdevs.length > 0) spec.mdevs = vm.mdevs;
  if (vm.singleGpu !== undefined) spec.singleGpu = vm.singleGpu;
  return spec;
}

/** What differs between the file and a stopped VM's definition, as a vm.update; null when nothing does. */
export function vmUpdateSpec(vm: VmConfig, def: VmDefinition): VmUpdateSpecIn | null {
  const patch: VmUpdateSpecIn = { name: vm.name };
  if (vm.cpu !== undefined && vm.cpu !== def.cpus) patch.cpus = vm.cpu;
  if (vm.memoryMiB !== undefined && vm.memoryMiB !== def.memoryMiB) patch.memory = vm.memoryMiB;
  if (vm.accel !== undefined && vm.accel !== def.accel) patch.accel = vm.accel;
  if (vm.cmdline !== undefined && def.kernel && vm.cmdline !== def.kernel.cmdline) patch.cmdline = vm.cmdline;
  // A file without a network leaves a VM given user-mode networking elsewhere as it is.
  if (vm.networks === undefined && def.nics.some((n) => n.network.mode === 'nova')) patch.network = 'none';
  if (vm.display !== undefined && def.machine !== 'microvm') {
    const have = def.display.vnc && def.display.spice ? 'both' : def.display.vnc ? 'vnc' : def.display.spice ? 'spice' : 'none';
    if (have !== vm.display) patch.display = vm.display;
  }
  // The stored seed holds a hash, not the password: send the settings again and let the
  // helper compare (it reuses the salt, so an unchanged password gives the same hash).
  const ci = cloudInitSpec(vm);
  if (ci) patch.cloudInit = ci;
  else if (def.cloudInit) patch.cloudInit = null;
  if (JSON.stringify(vm.health ?? null) !== JSON.stringify(def.health ?? null)) patch.health = vm.health ?? null;
  const hardware = deviceUpdate(vm, def);
  const passed = passthroughUpdate(vm, def);
  Object.assign(patch, hardware, passed, lifecycleUpdate(vm, def));
  const changes = [...(hardware.devices ?? []), ...(passed.devices ?? [])];
  if (changes.length > 0) patch.devices = changes;
  return Object.keys(patch).length > 1 ? patch : null;
}

/** The file's cloud_init and the stored seed agree on all but the password (which only the helper can compare). */
export function cloudInitLooksSame(vm: VmConfig, def: VmDefinition): boolean {
  const ci = vm.cloudInit;
  const have = def.cloudInit;
  if (!ci || !have) return !ci && !have;
  return (
    (ci.hostname ?? null) === (have.hostname ?? null) &&
    (ci.user ?? null) === (have.user ?? null) &&
    JSON.stringify(ci.sshAuthorizedKeys) === JSON.stringify(have.sshAuthorizedKeys) &&
    (ci.password !== undefined) === (have.passwordHash !== undefined) &&
    have.network === undefined
  );
}

/** Settings a VM takes only at creation: a change means deleting and recreating it. */
function fixedDifferences(vm: VmConfig, def: VmDefinition): string[] {
  const out: string[] = [];
  if (vm.machine !== undefined && vm.machine !== def.machine) out.push(`machine ${def.machine} -> ${vm.machine}`);
  if (vm.firmware !== undefined && vm.firmware !== def.firmware) out.push(`firmware ${def.firmware} -> ${vm.firmware}`);
  if (vm.kernel !== undefined && vm.kernel !== def.kernel?.kernel) out.push('kernel');
  if (vm.initrd !== undefined && vm.initrd !== def.kernel?.initrd) out.push('initrd');
  if (vm.iso !== undefined && vm.iso !== def.iso) out.push('iso');
  return out;
}

export interface CapsulePlan {
  spec: CapsuleSpecIn;
  image: string;
}

export function capsuleSpec(c: CapsuleConfig, locate: Locate, project?: string): CapsulePlan {
  const at = (key: string) => where(locate, ['container', c.name, key]);
  if (c.ports.length > 0 && c.network === undefined) {
    throw new NovaError('invalid_argument', `${at('ports')}: capsule ${c.name} publishes ports but joins no network; add network = "NAME" (a NAT network) or remove ports`);
  }
  const spec: CapsuleSpecIn = {
    name: c.name,
    image: c.image.text,
    env: c.env,
    volumes: c.volumes,
  };
  if (c.network !== undefined) spec.network = c.network;
  if (c.ports.length > 0) spec.ports = c.ports;
  if (c.command) spec.command = c.command;
  if (c.workdir) spec.workdir = c.workdir;
  if (c.user) spec.user = c.user;
  if (c.cpu !== undefined) spec.cpus = c.cpu;
  if (c.memoryMiB !== undefined) spec.memoryBytes = c.memoryMiB * MEBIBYTE;
  if (c.pids !== undefined) spec.pids = c.pids;
  if (c.restart) spec.restart = c.restart;
  if (project !== undefined) spec.project = project;
  if (c.health !== undefined) spec.health = c.health;
  if (c.gpus !== undefined) spec.gpus = c.gpus;
  if (c.autostart !== undefined) spec.autostart = c.autostart;
  return { spec, image: c.image.text };
}

// ---------------------------------------------------------------------------------
// Apply

export async function applyVm(config: NovaFileConfig, name: string, opts: ApplyOptions): Promise<ApplyReport> {
  const locate = opts.locate ?? (() => config.file);
  const found = config.vms.find((v) => v.name === name);
  if (!found) {
    const names = config.vms.map((v) => v.name).join(', ') || 'none';
    throw new NovaError('not_found', `${config.file}: there is no [vm.${name}] table (VMs in this file: ${names})`);
  }
  const report: ApplyReport = { actions: [], notices: [] };
  const act = (line: string) => {
    report.actions.push(line);
    opts.onAction?.(line);
  };
  const h = opts.helper;
  const vmAt = (key?: string) => where(locate, key ? ['vm', name, key] : ['vm', name]);

  // Refusals first, so a file the host cannot run changes nothing.
  const vm = await checkVmHost(found, h, vmAt);

  for (const network of vm.networks ?? []) await ensureNetwork(config, network, vmAt(vm.networks!.length > 1 ? 'networks' : 'network'), { locate, helper: h, report, act });

  const existing = await h.call('vm.get', { name }).catch((err: unknown) => (isNovaError(err) && err.code === 'not_found' ? null : Promise.reject(err)));
  let state = existing?.state ?? 'stopped';
  if (!existing) {
    await wrap(vmAt(), `vm ${name}`, () => h.call('vm.create', vmCreateSpec(vm, config.project)));
    act(`vm ${name}: created`);
  } else {
    const fixed = fixedDifferences(vm, existing.definition);
    if (fixed.length > 0) report.notices.push(`vm ${name}: ${fixed.join(', ')} changed in the file; these apply only to a new VM (nova vm rm ${name}, then run again)`);
    const patch = vmUpdateSpec(vm, existing.definition);
    const running = state === 'running' || state === 'paused' || state === 'starting' || state === 'stopping';
    const visible = patch ? Object.keys(patch).filter((k) => k !== 'name' && !(k === 'cloudInit' && cloudInitLooksSame(vm, existing.definition))) : [];
    if (running && visible.length > 0) {
      report.notices.push(`vm ${name}: is ${state}; stop it to apply the file's changes (${visible.join(', ')})`);
    } else if (patch && !running) {
      await wrap(vmAt(), `vm ${name}`, () => h.call('vm.update', patch));
      act(`vm ${name}: updated`);
    }
  }
  if (state === 'paused') {
    await h.call('vm.resume', { name });
    act(`vm ${name}: resumed`);
  } else if (state === 'stopped' || state === 'crashed') {
    const started = await wrap(vmAt(), `vm ${name}`, () => h.call('vm.start', { name }));
    state = started.state;
    act(`vm ${name}: started`);
  } else {
    report.notices.push(`vm ${name}: already ${state}`);
  }
  return report;
}

/** Creates a network the file declares when the host lacks it; an existing one is left as it is. */
async function ensureNetwork(
  config: NovaFileConfig,
  name: string,
  at: string,
  ctx: { locate: Locate; helper: ApplyOptions['helper']; report: ApplyReport; act: (line: string) => void },
): Promise<void> {
  const net = config.networks.find((n) => n.name === name);
  if (!net) throw new NovaError('not_found', `${at}: network ${name} is not declared in ${config.file}; add [network.${name}]`);
  const exists = await ctx.helper.call('network.get', { name: net.name }).then(
    () => true,
    (err: unknown) => (isNovaError(err) && err.code === 'not_found' ? false : Promise.reject(err)),
  );
  if (exists) {
    ctx.report.notices.push(`network ${net.name}: exists, left as it is`);
  } else {
    await wrap(where(ctx.locate, ['network', net.name]), `network ${net.name}`, () => ctx.helper.call('network.create', networkSpec(net, config.domain, config.project)));
    ctx.act(`network ${net.name}: created`);
  }
}

export async function applyCapsule(config: NovaFileConfig, name: string, opts: ApplyOptions): Promise<ApplyReport> {
  const locate = opts.locate ?? (() => config.file);
  const c = config.capsules.find((x) => x.name === name);
  if (!c) {
    const names = config.capsules.map((x) => x.name).join(', ') || 'none';
    throw new NovaError('not_found', `${config.file}: there is no [container.${name}] table (containers in this file: ${names})`);
  }
  const report: ApplyReport = { actions: [], notices: [] };
  const act = (line: string) => {
    report.actions.push(line);
    opts.onAction?.(line);
  };
  const h = opts.helper;
  const at = where(locate, ['container', name]);
  const plan = capsuleSpec(c, locate, config.project);
  if (c.network !== undefined) await ensureNetwork(config, c.network, where(locate, ['container', name, 'network']), { locate, helper: h, report, act });
  const existing = await h.call('capsule.get', { name }).catch((err: unknown) => (isNovaError(err) && err.code === 'not_found' ? null : Promise.reject(err)));
  if (!existing) {
    const haveImage = await h.call('ociImage.inspect', { name: plan.image }).then(
      () => true,
      (err: unknown) => (isNovaError(err) && err.code === 'not_found' ? false : Promise.reject(err)),
    );
    if (!haveImage) {
      await wrap(where(locate, ['container', name, 'capsule']), `image ${plan.image}`, () => h.call('ociImage.pull', { reference: plan.image }));
      act(`image ${plan.image}: pulled`);
    }
    await wrap(at, `container ${name}`, () => h.call('capsule.create', plan.spec));
    act(`container ${name}: created`);
  } else {
    report.notices.push(`container ${name}: exists; its settings are kept (capsules are changed by recreating them)`);
  }
  const state = existing?.state ?? 'created';
  if (state === 'running' || state === 'restarting') {
    report.notices.push(`container ${name}: already ${state}`);
  } else if (state === 'paused') {
    await h.call('capsule.resume', { name });
    act(`container ${name}: resumed`);
  } else {
    await wrap(at, `container ${name}`, () => h.call('capsule.start', { name }));
    act(`container ${name}: started`);
  }
  return report;
}

/** The VM as the host can run it (`gpu_passthrough = true` resolved to the GPU chosen), or a located refusal. */
async function checkVmHost(vm: VmConfig, h: ApplyClient, at: (key?: string) => string): Promise<VmConfig> {
  const needsHost = vm.gpuPassthrough.kind !== 'off' || vm.accel === 'kvm';
  if (!needsHost) return vm;
  const report: HostReport = await h.call('host.check', { refresh: false });
  if (vm.gpuPassthrough.kind !== 'off') {
    const iommu = report.items.find((i) => i.id === 'iommu');
    if (!iommu || iommu.status !== 'ok') {
      const why = iommu ? `${iommu.summary}${iommu.remedy ? `; ${iommu.remedy}` : ''}` : 'the host check found no IOMMU';
      throw new NovaError('unsupported', `${at('gpu_passthrough')}: vm ${vm.name} asks for GPU passthrough, which needs an IOMMU: ${why}`);
    }
    if (vm.gpuPassthrough.kind === 'auto') {
      const choice = chooseGpu((await h.call('device.list', { refresh: true })).pci);
      if (!choice.ok) throw new NovaError('failed_precondition', `${at('gpu_passthrough')}: vm ${vm.name} asks for the spare GPU (true), but ${choice.reason}; ${choice.remedy}`);
      vm = { ...vm, gpuPassthrough: { kind: 'devices', addresses: [choice.address] } };
    }
  }
  if (vm.accel === 'kvm' && report.accelerator !== 'kvm') {
    const kvm = report.items.find((i) => i.id === 'accelerator') ?? report.items.find((i) => i.id === 'kvm');
    throw new NovaError('unsupported', `${at('accel')}: vm ${vm.name} asks for accel = "kvm", but this host cannot use KVM${kvm ? ` (${kvm.summary})` : ''}; use accel = "auto" or "tcg"`);
  }
  return vm;
}

function where(locate: Locate, path: KeyPath): string {
  return locate(path) ?? path.join('.');
}

/** Runs a helper call; its error keeps its code and gains the NovaFile line. */
async function wrap<T>(at: string, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isNovaError(err)) throw new NovaError(err.code, `${at}: ${what}: ${err.message}`, err.details);
    throw err;
  }
}
