// The Devices page's model: PCI devices grouped by IOMMU group (the unit passthrough
// takes), each group with Nova's binding of it when there is one, and words for the
// readiness and preflight verdicts that read without colour.
import type { DeviceBinding, DeviceInventory, PciDevice, PreflightVerdict } from '../../../src-shared/index.js';

export interface DeviceGroupView {
  /** null: devices in no group (the IOMMU is off or does not cover them). */
  readonly group: number | null;
  readonly devices: readonly PciDevice[];
  readonly binding: DeviceBinding | null;
}

export function groupDevices(inventory: DeviceInventory, bindings: readonly DeviceBinding[]): DeviceGroupView[] {
  const byGroup = new Map<number | null, PciDevice[]>();
  for (const d of inventory.pci) byGroup.set(d.iommuGroup, [...(byGroup.get(d.iommuGroup) ?? []), d]);
  return [...byGroup.entries()]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a - b))
    .map(([group, devices]) => ({ group, devices: [...devices].sort((x, y) => x.address.localeCompare(y.address)), binding: bindings.find((b) => b.group === group) ?? null }));
}

export const READINESS_WORDS: Record<PciDevice['readiness'], string> = { ready: 'Ready', warn: 'Ready, with warnings', blocked: 'Blocked', bridge: 'Bridge (stays with the host)' };
export const VERDICT_WORDS: Record<PreflightVerdict, string> = { pass: 'Pass', warn: 'Warning', block: 'Blocks' };
/** The status-badge colour of a verdict or readiness. */
export const VERDICT_STATUS: Record<PreflightVerdict | PciDevice['readiness'], 'ok' | 'warn' | 'fail'> = { pass: 'ok', ready: 'ok', warn: 'warn', block: 'fail', blocked: 'fail', bridge: 'ok' };

export function deviceName(d: PciDevice): string {
  return [d.vendorName, d.deviceName].filter(Boolean).join(' ') || `${d.vendorId}:${d.deviceId}`;
}

/** Who holds a bound group, in words. */
export function holderWords(b: DeviceBinding): string {
  if (b.phase === 'stuck') return `stuck: unbinding ${b.stuck.join(', ')} never returned; reboot the host`;
  if (!b.holder) return 'on vfio-pci, held by no VM';
  return b.holder.kind === 'vm' ? `held by VM ${b.holder.vm}` : 'prepared by hand (nova device prepare), held by no VM';
}
