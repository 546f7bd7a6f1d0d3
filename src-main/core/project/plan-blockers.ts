// What a project asks for that this host lacks, found before anything is applied: GPU
// passthrough without an IOMMU (or `true` with no single spare GPU to pick), an overlay driver Nova has
// no engine for, accel = "kvm" where KVM is unusable, a disk, ISO, kernel or initrd
// that is not there. Each comes with the NovaFile key, the reason and the remedy.
import type { HostReport } from '../../../src-shared/host.js';
import type { Blocked } from '../../../src-shared/project.js';
import type { PciDevice } from '../../../src-shared/device.js';
import type { NovaFileConfig } from '../novafile/novafile-config.js';
import { chooseGpu } from './gpu-choice.js';

/** The overlay engines the helper has (helper/src/network/overlay-drivers.ts). */
export const OVERLAY_ENGINES = ['vxlan', 'wireguard'] as const;

export interface HostFacts {
  /** Null when nothing in the file needs the host check (it is not run then). */
  report: HostReport | null;
  exists(path: string): Promise<boolean>;
  /** The host's PCI devices, when a VM asks for `gpu_passthrough = true` (gpu-choice.ts picks from them). */
  pci?: readonly PciDevice[] | null;
}

/** Whether blockers() needs the device inventory. */
export function needsDeviceList(config: NovaFileConfig): boolean {
  return config.vms.some((vm) => vm.gpuPassthrough.kind === 'auto');
}

/** Whether blockers() needs the host report (the check takes a round trip, and longer uncached). */
export function needsHostReport(config: NovaFileConfig): boolean {
  return config.vms.some((vm) => vm.gpuPassthrough.kind !== 'off' || vm.accel === 'kvm');
}

export async function findBlockers(config: NovaFileConfig, facts: HostFacts): Promise<Blocked[]> {
  const out: Blocked[] = [];
  for (const net of config.networks) {
    if (net.type === 'overlay' && net.driver !== undefined && !(OVERLAY_ENGINES as readonly string[]).includes(net.driver)) {
      out.push({
        kind: 'network',
        name: net.name,
        key: `network.${net.name}.driver`,
        reason: `Nova has no overlay engine for driver "${net.driver}" (it provides ${OVERLAY_ENGINES.join(' and ')})`,
        remedy: 'use driver = "vxlan", or "wireguard" for an encrypted tunnel',
      });
    }
  }
  for (const vm of config.vms) {
    const at = (key: string) => `vm.${vm.name}.${key}`;
    if (vm.gpuPassthrough.kind !== 'off') {
      const iommu = facts.report?.items.find((i) => i.id === 'iommu');
      const blocked: Blocked | null =
        iommu && iommu.status === 'ok'
          ? vm.gpuPassthrough.kind === 'auto'
            ? autoGpuBlocker(vm.name, at('gpu_passthrough'), facts.pci ?? [])
            : null
          : {
              kind: 'vm',
              name: vm.name,
              key: at('gpu_passthrough'),
              reason: `GPU passthrough needs an IOMMU: ${iommu?.summary ?? 'the host check found none'}`,
              remedy: iommu?.remedy ?? 'enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on (or amd_iommu=on), or remove gpu_passthrough',
            };
      if (blocked) out.push(blocked);
    }
    if (vm.accel === 'kvm' && facts.report && facts.report.accelerator !== 'kvm') {
      out.push({ kind: 'vm', name: vm.name, key: at('accel'), reason: 'this host cannot use KVM (see nova host check)', remedy: 'use accel = "auto" or "tcg"' });
    }
    for (const key of ['image', 'iso', 'kernel', 'initrd'] as const) {
      const file = vm[key];
      if (file !== undefined && !(await facts.exists(file))) {
        const what = key === 'image' ? 'disk image' : key === 'iso' ? 'ISO image' : key;
        out.push({ kind: 'vm', name: vm.name, key: at(key), reason: `the ${what} ${file} does not exist`, remedy: `put the ${what} there, or change ${key} to its path` });
      }
    }
  }
  return out;
}

function autoGpuBlocker(vm: string, key: string, pci: readonly PciDevice[]): Blocked | null {
  const choice = chooseGpu(pci);
  return choice.ok ? null : { kind: 'vm', name: vm, key, reason: choice.reason, remedy: choice.remedy };
}
