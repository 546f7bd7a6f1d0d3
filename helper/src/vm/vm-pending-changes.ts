// What a running VM's QEMU has not taken: its definition now against the one it was
// started with, field by field, in words a person reads ("memory 512 MiB -> 1024 MiB").
// CD media, disk sizes and USB devices are left out: those change live (vm-live-devices.ts,
// devices/usb-hotplug.ts), so the running QEMU already has them.
import type { VmDefinition } from '../../../src-shared/vm.js';
import { formatMdevSpec } from '../../../src-shared/vm-passthrough.js';
import { showNicNetwork } from '../../../src-shared/vm-devices.js';

const words = (v: unknown) => (v === null || v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

export function pendingChanges(started: VmDefinition, now: VmDefinition): string[] {
  const out: string[] = [];
  const field = (label: string, a: unknown, b: unknown) => {
    if (words(a) !== words(b)) out.push(`${label} ${words(a)} -> ${words(b)}`);
  };
  field('CPUs', started.cpus, now.cpus);
  field('memory', `${started.memoryMiB} MiB`, `${now.memoryMiB} MiB`);
  field('machine', started.machine, now.machine);
  field('firmware', started.firmware, now.firmware);
  field('TPM', started.tpm === true ? 'on' : 'off', now.tpm === true ? 'on' : 'off');
  field('Hyper-V', started.hyperv === true ? 'on' : 'off', now.hyperv === true ? 'on' : 'off');
  field('accelerator', started.accel, now.accel);
  field('display', started.display, now.display);
  nicChanges(started, now, field, out);
  field('boot order', started.bootOrder ?? 'automatic', now.bootOrder ?? 'automatic');
  field('kernel', started.kernel, now.kernel);
  field('cloud-init', started.cloudInit, now.cloudInit);
  field('shared folders', started.shares ?? [], now.shares ?? []);
  const addresses = (def: VmDefinition) => (def.devices ?? []).map((d) => d.address).join(', ') || 'none';
  field('PCI devices', addresses(started), addresses(now));
  const mdevs = (def: VmDefinition) => (def.mdevs ?? []).map(formatMdevSpec).join(', ') || 'none';
  field('mediated devices', mdevs(started), mdevs(now));
  field('Looking Glass', started.lookingGlass?.resolution ?? 'off', now.lookingGlass?.resolution ?? 'off');
  field('single-GPU mode', started.singleGpu === true ? 'on' : 'off', now.singleGpu === true ? 'on' : 'off');
  const before = new Map(started.disks.map((d) => [d.id, d]));
  const after = new Map(now.disks.map((d) => [d.id, d]));
  for (const [id, d] of after) {
    const was = before.get(id);
    if (!was || was.path !== d.path) out.push(`${id} added (${d.path})`);
    else {
      field(`${id} bus`, was.bus ?? 'virtio', d.bus ?? 'virtio');
      field(`${id} cache`, was.cache ?? 'writeback', d.cache ?? 'writeback');
    }
  }
  for (const id of before.keys()) if (after.get(id)?.path !== before.get(id)?.path) out.push(`${id} removed`);
  const drives = (def: VmDefinition) => new Set((def.cdroms ?? []).map((c) => c.id));
  const [cdBefore, cdAfter] = [drives(started), drives(now)];
  for (const id of cdAfter) if (!cdBefore.has(id)) out.push(`CD drive ${id} added`);
  for (const id of cdBefore) if (!cdAfter.has(id)) out.push(`CD drive ${id} removed`);
  return out;
}

/** NIC by NIC (netN): added, removed, or its network, MAC and model; its link changes live, so it is left out. */
function nicChanges(started: VmDefinition, now: VmDefinition, field: (label: string, a: unknown, b: unknown) => void, out: string[]): void {
  const count = Math.max(started.nics.length, now.nics.length);
  for (let i = 0; i < count; i++) {
    const [was, is] = [started.nics[i], now.nics[i]];
    if (!was && is) out.push(`NIC net${i} added (${showNicNetwork(is.network)})`);
    else if (was && !is) out.push(`NIC net${i} removed`);
    else if (was && is) {
      const label = i === 0 ? '' : ` of net${i}`;
      field(`network${label}`, showNicNetwork(was.network), showNicNetwork(is.network));
      field(`MAC${label}`, was.mac ?? 'automatic', is.mac ?? 'automatic');
      field(`NIC model${label}`, was.model ?? 'virtio', is.model ?? 'virtio');
    }
  }
}
