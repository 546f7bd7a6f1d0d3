// `gpu_passthrough = true`: the one GPU Nova can give a guest, chosen from the host's
// inventory, or why there is none, or which to choose when several qualify. A GPU
// qualifies when it is display-class, not a virtual function, not the boot GPU the
// host's display runs on (unless single-GPU mode is asked for), and its IOMMU group
// holds nothing beyond its own card (VFIO.md 2.3, 2.7).
import type { PciDevice } from '../../../src-shared/device.js';

export type GpuChoice = { ok: true; address: string } | { ok: false; reason: string; remedy: string };

const PASS_ALONG = new Set(['vfio-pci', 'pci-stub']);

function label(d: PciDevice): string {
  const name = [d.vendorName, d.deviceName].filter(Boolean).join(' ');
  return name ? `${d.address} (${name})` : d.address;
}

/** Group mates that are not functions of the GPU's own slot and would stay with the host. */
function foreignMates(d: PciDevice): string[] {
  const slot = d.address.replace(/\.[0-7]$/, '');
  return d.groupMembers.filter((m) => !m.bridge && !m.address.startsWith(`${slot}.`) && m.driver !== null && !PASS_ALONG.has(m.driver)).map((m) => m.address);
}

export function chooseGpu(pci: readonly PciDevice[], opts: { singleGpu?: boolean } = {}): GpuChoice {
  const gpus = pci.filter((d) => d.classCode.startsWith('03') && d.physfn === null);
  if (gpus.length === 0) {
    return { ok: false, reason: 'this host has no GPU (no display-class PCI device)', remedy: 'remove gpu_passthrough, or run the project on a host with a spare GPU' };
  }
  const why = new Map<PciDevice, string>();
  for (const d of gpus) {
    if (d.bootVga === true && !opts.singleGpu) why.set(d, 'it is the boot GPU the host display runs on');
    else if (d.iommuGroup === null) why.set(d, 'it is in no IOMMU group');
    else if (foreignMates(d).length > 0) why.set(d, `its IOMMU group ${d.iommuGroup} also holds ${foreignMates(d).join(', ')}`);
  }
  const fit = gpus.filter((d) => !why.has(d));
  const [only] = fit;
  if (only && fit.length === 1) return { ok: true, address: only.address };
  if (fit.length > 1) {
    return {
      ok: false,
      reason: `${fit.length} GPUs could be passed through: ${fit.map(label).join(', ')}`,
      remedy: `name the one to pass: gpu_passthrough = ["${fit[0]!.address}"]`,
    };
  }
  return {
    ok: false,
    reason: `no GPU can be passed through: ${gpus.map((d) => `${label(d)}: ${why.get(d)!}`).join('; ')}`,
    remedy: gpus.every((d) => d.bootVga === true)
      ? 'the only GPU drives the host display; add a second GPU for the guest (nova device check ADDR shows each device\'s preflight)'
      : 'nova device check ADDR shows each GPU\'s preflight and how to fix it',
  };
}
