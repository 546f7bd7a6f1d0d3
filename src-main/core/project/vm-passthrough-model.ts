// A VM's passed devices between the NovaFile and the helper: PCI and USB devices (the
// file's `devices`), mediated devices, Looking Glass and single-GPU mode, shown alike
// from a VmConfig and from a definition so plan compares like with like, turned into
// the vm.update changes that make a stopped VM match the file, and written back as the
// file's keys by export. `gpu_passthrough = true` names no address until apply picks
// the GPU, so a VM asking for it keeps the PCI devices it has.
import type { VmDefinition, VmUpdateSpecIn } from '../../../src-shared/vm.js';
import type { VmDeviceChangeIn } from '../../../src-shared/vm-devices.js';
import { formatMdevSpec, type VmMdev } from '../../../src-shared/vm-passthrough.js';
import type { VmConfig } from '../novafile/novafile-config.js';

export const VM_PASSTHROUGH_FIELDS = ['devices', 'mdevs', 'looking_glass', 'single_gpu'] as const;
export type VmPassthroughField = (typeof VM_PASSTHROUGH_FIELDS)[number];
export type PassthroughShown = Record<VmPassthroughField, string | null>;

const joined = (items: readonly string[]) => (items.length === 0 ? null : items.join(', '));

/** The PCI addresses the file asks for; null: `gpu_passthrough = true`, the GPU chosen at apply. */
function wantedPci(vm: VmConfig): string[] | null {
  if (vm.gpuPassthrough.kind === 'auto') return null;
  const named = vm.gpuPassthrough.kind === 'devices' ? vm.gpuPassthrough.addresses : [];
  return [...new Set([...named, ...(vm.pciDevices ?? [])])];
}

const havePci = (def: VmDefinition) => (def.devices ?? []).map((d) => d.address);

/** PCI and USB in one list, as the file's `devices` holds them, sorted: their order means nothing. */
function showDevices(pci: readonly string[], usb: readonly string[]): string | null {
  return joined([...[...pci].sort(), ...[...usb].sort()]);
}

export function wantedPassthrough(vm: VmConfig, def: VmDefinition): PassthroughShown {
  return {
    devices: showDevices(wantedPci(vm) ?? havePci(def), vm.usb ?? []),
    // In order: an instance's UUID comes from its place in the list.
    mdevs: joined((vm.mdevs ?? []).map(formatMdevSpec)),
    looking_glass: vm.lookingGlass?.resolution ?? null,
    single_gpu: String(vm.singleGpu === true),
  };
}

export function actualPassthrough(def: VmDefinition): PassthroughShown {
  return {
    devices: showDevices(havePci(def), def.usb ?? []),
    mdevs: joined((def.mdevs ?? []).map(formatMdevSpec)),
    looking_glass: def.lookingGlass?.resolution ?? null,
    single_gpu: String(def.singleGpu === true),
  };
}

/** The vm.update changes that take a stopped VM to the file's passed devices. */
export function passthroughUpdate(vm: VmConfig, def: VmDefinition): Pick<VmUpdateSpecIn, 'devices' | 'singleGpu'> {
  const out: VmDeviceChangeIn[] = [];
  const pci = wantedPci(vm);
  if (pci !== null) {
    const have = havePci(def);
    for (const address of have) if (!pci.includes(address)) out.push({ op: 'pci.remove', address });
    for (const address of pci) if (!have.includes(address)) out.push({ op: 'pci.add', device: { address } });
  }
  const usb = vm.usb ?? [];
  for (const device of def.usb ?? []) if (!usb.includes(device)) out.push({ op: 'usb.remove', device });
  for (const device of usb) if (!(def.usb ?? []).includes(device)) out.push({ op: 'usb.add', device });
  const want = wantedPassthrough(vm, def);
  const have = actualPassthrough(def);
  if (want.mdevs !== have.mdevs) {
    // Made again in the file's order, so each keeps the UUID of its place.
    for (const mdev of [...(def.mdevs ?? [])].reverse()) out.push({ op: 'mdev.remove', mdev });
    for (const mdev of vm.mdevs ?? []) out.push({ op: 'mdev.add', mdev });
  }
  if (want.looking_glass !== have.looking_glass) out.push({ op: 'lookingGlass.set', resolution: vm.lookingGlass?.resolution ?? null });
  return {
    ...(out.length > 0 ? { devices: out } : {}),
    ...(want.single_gpu !== have.single_gpu ? { singleGpu: vm.singleGpu === true } : {}),
  };
}

/** The file's keys for a definition's passed devices, and notes for what the file cannot say. */
export function passthroughKeys(def: VmDefinition): { keys: Record<string, unknown>; notes: string[] } {
  const keys: Record<string, unknown> = {};
  const notes: string[] = [];
  const devices = [...havePci(def), ...(def.usb ?? [])];
  if (devices.length > 0) keys.devices = devices;
  const kept = (def.devices ?? []).filter((d) => d.policy === 'keep' || d.rom !== undefined);
  if (kept.length > 0) notes.push(`${kept.map((d) => d.address).join(', ')}: the device's policy (keep) or ROM file has no NovaFile key; a VM made from this file restores the device at stop and uses the card's own ROM`);
  if ((def.mdevs ?? []).length > 0) keys.mdevs = (def.mdevs ?? []).map((m: VmMdev) => ({ parent: m.parent, type: m.type }));
  if (def.lookingGlass) keys.looking_glass = { resolution: def.lookingGlass.resolution };
  if (def.singleGpu === true) keys.single_gpu = true;
  return { keys, notes };
}
