// The preflight items that follow from the inventory alone (VFIO.md 5.2): the IOMMU
// as this device sees it, its group, the boot GPU, a GPU left for the host, users,
// reset, ROM and the lighter alternatives (VFs, mdev). Pure, so the list's one-word
// readiness and `nova device check` can never disagree.
import type { IommuGroupMember, PreflightItem } from '../../../src-shared/device.js';
import type { IommuState } from './iommu-state.js';
import type { PciFacts } from './pci-reader.js';

/** Drivers the kernel lets stay bound in a group handed to a guest (VFIO.md 2.3). */
const GROUP_SAFE_DRIVERS = new Set(['vfio-pci', 'pci-stub']);

export const slotOf = (address: string): string => address.replace(/\.[0-7]$/, '');
export const isDisplay = (d: Pick<PciFacts, 'classCode'>): boolean => d.classCode.startsWith('03');

export function describeMember(m: Pick<IommuGroupMember, 'address' | 'className' | 'name' | 'driver'>): string {
  const what = m.name ?? m.className ?? 'unknown device';
  return `${m.address} (${what}${m.className && m.name ? `, ${m.className}` : ''}; driver ${m.driver ?? 'none'})`;
}

export function deviceItems(d: PciFacts, members: IommuGroupMember[], all: readonly PciFacts[], iommu: IommuState): PreflightItem[] {
  return [
    iommuItem(d, iommu),
    groupItem(d, members, iommu),
    bootVgaItem(d),
    hostGpuItem(d, all),
    usersItem(d),
    resetItem(d, all),
    romItem(d),
    ...alternativesItem(d),
  ];
}

function item(id: string, label: string, verdict: PreflightItem['verdict'], summary: string, evidence: string[], fix: string | null = null): PreflightItem {
  return { id, label, verdict, summary, evidence, fix: verdict === 'pass' ? null : fix };
}

function iommuItem(d: PciFacts, s: IommuState): PreflightItem {
  const evidence = [...s.evidence, `${d.address}/iommu_group: ${d.iommuGroup === null ? 'absent' : `group ${d.iommuGroup}`}`];
  if (s.active && d.iommuGroup !== null) return item('iommu', 'IOMMU', 'pass', `Active; the device is in group ${d.iommuGroup}`, evidence);
  const fix = `Enable ${s.firmwareSetting} in the firmware setup and boot with ${s.bootParam}`;
  if (s.disabledBy) return item('iommu', 'IOMMU', 'block', `Switched off on the kernel command line (${s.disabledBy})`, evidence, `Remove ${s.disabledBy}; ${fix}`);
  if (s.active) return item('iommu', 'IOMMU', 'block', 'Active, but this device is in no IOMMU group', evidence, 'Check the firmware enables the IOMMU for this slot, or move the card to a CPU-attached slot');
  return item('iommu', 'IOMMU', 'block', 'Not active: no device can be passed through', evidence, fix);
}

function groupItem(d: PciFacts, members: IommuGroupMember[], s: IommuState): PreflightItem {
  const label = 'IOMMU group';
  if (d.iommuGroup === null) {
    return item('group', label, 'block', s.active ? 'The device has no group' : 'No groups without an IOMMU', [`/sys/kernel/iommu_groups: ${s.groups?.length ?? 0} groups`], `Turn the IOMMU on (${s.bootParam}) first`);
  }
  const evidence = [`/sys/kernel/iommu_groups/${d.iommuGroup}/devices: ${members.map((m) => m.address).join(', ')}`];
  const others = members.filter((m) => m.address !== d.address && !m.bridge);
  const companions = others.filter((m) => slotOf(m.address) === slotOf(d.address));
  const foreign = others.filter((m) => slotOf(m.address) !== slotOf(d.address));
  const bridges = members.filter((m) => m.bridge);
  if (companions.length > 0) evidence.push(`same card, passed together: ${companions.map(describeMember).join('; ')}`);
  if (bridges.length > 0) evidence.push(`bridges and ports, left on the host: ${bridges.map((m) => m.address).join(', ')}`);
  const blocking = foreign.filter((m) => m.driver !== null && !GROUP_SAFE_DRIVERS.has(m.driver));
  if (blocking.length > 0) {
    evidence.push(`foreign devices: ${foreign.map(describeMember).join('; ')}`);
    return item('group', label, 'block',
      `Group ${d.iommuGroup} also holds ${blocking.map(describeMember).join(', ')}: the whole group would leave the host`,
      evidence,
      'Move the card to another slot (one wired to the CPU), or check the firmware for ACS; Nova never applies the ACS override patch');
  }
  if (foreign.length > 0) {
    evidence.push(`foreign devices: ${foreign.map(describeMember).join('; ')}`);
    return item('group', label, 'warn',
      `Group ${d.iommuGroup} also holds ${foreign.map((m) => m.address).join(', ')} (no host driver or already stubbed): they go to the same VM`,
      evidence, 'Pass them to the same VM, or move the card to a slot of its own');
  }
  const summary = companions.length > 0
    ? `Viable: group ${d.iommuGroup} is this card alone (${companions.length + 1} functions go together)`
    : `Viable: the device is alone in group ${d.iommuGroup}`;
  return item('group', label, 'pass', summary, evidence);
}

function bootVgaItem(d: PciFacts): PreflightItem {
  const label = 'Boot GPU';
  if (d.bootVga === null) return item('boot-vga', label, 'pass', 'Not a VGA device: cannot be the console GPU', [`${d.address}/boot_vga: absent`]);
  const evidence = [`${d.address}/boot_vga: ${d.bootVga ? '1' : '0'}`];
  if (!d.bootVga) return item('boot-vga', label, 'pass', 'Not the GPU the firmware booted on', evidence);
  return item('boot-vga', label, 'block', 'The host console runs on this GPU (boot_vga=1): passing it blanks the host display',
    evidence, 'Pick another GPU as primary in the firmware setup, or use single-GPU mode when Nova offers it (the host display goes dark until the VM stops)');
}

function hostGpuItem(d: PciFacts, all: readonly PciFacts[]): PreflightItem {
  const label = 'GPU for the host';
  if (!isDisplay(d)) return item('host-gpu', label, 'pass', 'Not a display device', [`${d.address}/class: 0x${d.classCode}`]);
  const left = all.filter((o) => isDisplay(o) && slotOf(o.address) !== slotOf(d.address) && o.physfn === null && o.driver !== 'vfio-pci');
  const evidence = [`display devices: ${all.filter(isDisplay).map((o) => `${o.address} (driver ${o.driver ?? 'none'})`).join(', ')}`];
  if (left.length > 0) return item('host-gpu', label, 'pass', `The host keeps ${left.map((o) => o.address).join(', ')}`, evidence);
  return item('host-gpu', label, 'warn', 'No other GPU stays with the host: its screen goes dark while the VM runs', evidence, 'Add or enable another GPU (an integrated one often can be enabled in the firmware), or plan to reach the host over the network');
}

function usersItem(d: PciFacts): PreflightItem {
  const label = 'In use';
  if (d.nodes.length === 0) return item('users', label, 'pass', 'No device nodes: no display driver holds it', [`${d.address}: no drm/ nodes, no /dev/nvidia node`]);
  const evidence = [`device nodes: ${d.nodes.join(', ')}`, `/proc/*/fd: ${d.users.length === 0 ? 'no process holds them' : d.users.map((u) => `${u.pid} ${u.name} (${u.node})`).join(', ')}`];
  if (d.users.length === 0) return item('users', label, 'pass', 'No process holds its nodes open', evidence);
  const names = [...new Set(d.users.map((u) => `${u.name} (pid ${u.pid})`))].join(', ');
  return item('users', label, 'block', `In use by ${names}: unbinding it now would hang or freeze the host`, evidence, `Close ${names}, or stop the desktop session that uses this GPU`);
}

function resetItem(d: PciFacts, all: readonly PciFacts[]): PreflightItem {
  const label = 'Reset';
  const evidence = [`${d.address}/reset_method: ${d.resetMethods.length > 0 ? d.resetMethods.join(' ') : 'absent (and no reset file)'}`];
  if (d.resetMethods.length === 0) {
    return item('reset', label, 'warn', 'No reset method: the device may work once per host boot', evidence, 'Plan one VM start per host boot; for AMD cards with the reset bug, the vendor-reset module adds a method');
  }
  if (d.resetMethods.length === 1 && d.resetMethods[0] === 'bus') {
    const siblings = all.filter((o) => o.address !== d.address && !o.bridge && o.address.slice(0, 7) === d.address.slice(0, 7) && slotOf(o.address) !== slotOf(d.address));
    if (siblings.length > 0) {
      evidence.push(`other devices on bus ${d.address.slice(0, 7)}: ${siblings.map((o) => o.address).join(', ')}`);
      return item('reset', label, 'warn', 'Only a bus reset, and the bus has other devices: it resets them too', evidence, 'Move the card to a slot of its own');
    }
  }
  return item('reset', label, 'pass', `Resettable (${d.resetMethods.join(', ')})`, evidence);
}

function romItem(d: PciFacts): PreflightItem {
  const label = 'Option ROM';
  const evidence = [`${d.address}/rom: ${d.hasRom ? 'present' : 'absent'}`];
  if (!isDisplay(d)) return item('rom', label, 'pass', 'Not a display device: no ROM needed to boot', evidence);
  if (d.hasRom) return item('rom', label, 'pass', 'The card exposes its option ROM (whether it has a UEFI image is checked when Nova reads it, at binding)', evidence);
  return item('rom', label, 'warn', 'No option ROM exposed: the guest firmware may not initialise the card', evidence, 'Supply a ROM file dumped from the card (Nova stores and hashes it under its state directory)');
}

function alternativesItem(d: PciFacts): PreflightItem[] {
  const offers: string[] = [];
  if (d.sriov && d.sriov.totalVfs > 0) offers.push(`SR-IOV: up to ${d.sriov.totalVfs} virtual functions (${d.sriov.numVfs} enabled)`);
  // A type with no instance left cannot be created (VFIO.md 4.3 #20): said, so it is not offered as if it could.
  if (d.mdevTypes.length > 0) offers.push(`mediated devices: ${d.mdevTypes.map((t) => `${t.name ?? t.id}${t.availableInstances === 0 ? ' (none available)' : ''}`).join(', ')}`);
  const laptop = d.classCode.startsWith('0302');
  if (offers.length === 0 && !laptop) return [];
  const evidence = [...offers, ...(laptop ? [`${d.address}/class: 0x${d.classCode} (3D controller)`] : [])];
  if (laptop) {
    return [item('kind', 'Kind of device', 'warn', 'A 3D controller, usually a laptop GPU wired through the integrated one: it often has no outputs of its own', evidence, 'Expect to view the guest through remote desktop or Looking Glass')];
  }
  return [item('kind', 'Lighter alternatives', 'pass', `It can also be shared: ${offers.join('; ')}`, evidence)];
}
