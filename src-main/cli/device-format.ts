// How `nova device` shows devices: the inventory as tables, one device in full, and a
// preflight as a checklist with a mark, the evidence and the fix of each item.
import type { BindPreview, DeviceInventory, DevicePreflight, PciDevice, PreflightVerdict } from '../../src-shared/device.js';

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd()).join('\n') + '\n';
}

function deviceName(d: PciDevice): string {
  const vendor = d.vendorName ?? d.vendorId;
  return d.deviceName ? `${vendor} ${d.deviceName}` : `${vendor} device ${d.deviceId}`;
}

export function formatDeviceList(inv: DeviceInventory): string {
  const pci = columns([
    ['ADDRESS', 'CLASS', 'NAME', 'DRIVER', 'GROUP', 'PASSTHROUGH'],
    ...inv.pci.map((d) => [d.address, d.className ?? d.classCode, deviceName(d), d.driver ?? '-', d.iommuGroup === null ? '-' : String(d.iommuGroup), d.readiness]),
  ]);
  const note = inv.iommuActive ? '' : 'The IOMMU is off, so no device can be passed through (nova device check ADDRESS says how to turn it on).\n';
  if (inv.usb.length === 0) return pci + note;
  const usb = columns([
    ['BUS', 'ADDR', 'ID', 'NAME'],
    ...inv.usb.map((u) => [String(u.bus).padStart(3, '0'), String(u.address).padStart(3, '0'), `${u.vendorId}:${u.productId}`, [u.vendorName ?? u.manufacturer, u.productName ?? u.product].filter(Boolean).join(' ') || '-']),
  ]);
  return `${pci}${note}\nUSB devices:\n${usb}`;
}

export function formatDevice(d: PciDevice): string {
  const rows: Array<[string, string]> = [
    ['Name', deviceName(d)],
    ['Class', `${d.className ?? 'unknown'} (${d.classCode})`],
    ['IDs', `${d.vendorId}:${d.deviceId}${d.subsystemVendorId ? ` subsystem ${d.subsystemVendorId}:${d.subsystemDeviceId}${d.subsystemName ? ` (${d.subsystemName})` : ''}` : ''}`],
    ['Driver', `${d.driver ?? 'none'}${d.driverOverride ? ` (override ${d.driverOverride})` : ''}`],
    ['IOMMU group', d.iommuGroup === null ? 'none (no active IOMMU)' : `${d.iommuGroup}: ${d.groupMembers.map((m) => `${m.address}${m.bridge ? ' (bridge)' : ''}`).join(', ')}`],
    ['Reset', d.resetMethods.length > 0 ? d.resetMethods.join(' ') : 'none'],
    ['Boot VGA', d.bootVga === null ? '-' : d.bootVga ? 'yes' : 'no'],
    ['NUMA node', d.numaNode === null ? '-' : String(d.numaNode)],
  ];
  if (d.sriov) rows.push(['SR-IOV', `${d.sriov.numVfs} of ${d.sriov.totalVfs} VFs${d.sriov.vfs.length > 0 ? `: ${d.sriov.vfs.join(', ')}` : ''}`]);
  if (d.physfn) rows.push(['Physical function', d.physfn]);
  if (d.nodes.length > 0) rows.push(['Device nodes', d.nodes.join(', ')]);
  rows.push(['Used by', d.users.length > 0 ? d.users.map((u) => `${u.name} (pid ${u.pid}, ${u.node})`).join(', ') : 'nobody']);
  if (d.mdevTypes.length > 0) rows.push(['mdev types', d.mdevTypes.map((t) => `${t.name ?? t.id} (${t.availableInstances ?? '?'} free)`).join(', ')]);
  rows.push(['Passthrough', d.readiness]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return [`PCI device ${d.address}`, ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)} ${v}`)].join('\n') + '\n';
}

const MARK: Record<PreflightVerdict, string> = { pass: '[pass]', warn: '[warn]', block: '[BLOCK]' };

export function formatPreflight(p: DevicePreflight): string {
  const lines = [`Passthrough preflight of ${p.address}:`];
  for (const i of p.items) {
    lines.push(`${MARK[i.verdict].padEnd(7)} ${i.label}: ${i.summary}`);
    for (const e of i.evidence) lines.push(`          ${e}`);
    if (i.fix) lines.push(`          fix: ${i.fix}`);
  }
  const verdict = { pass: 'ready for passthrough', warn: 'can be passed through, with the warnings above', block: 'cannot be passed through: fix the BLOCK items first' }[p.verdict];
  lines.push('', `${p.address} ${verdict}.`);
  return lines.join('\n') + '\n';
}

/** The dry run as a person checks it: what moves, then each write in order, as `echo DATA > PATH`. */
export function formatBindPreview(p: BindPreview): string {
  const write = (w: { path: string; data: string }) => `  echo ${JSON.stringify(w.data.replace(/\n$/, ''))} > ${w.path}`;
  const lines = [`IOMMU group ${p.group}: dry run, nothing was changed`];
  for (const f of p.functions) lines.push(`  ${f.address}: ${f.from ?? 'no driver'} -> ${f.to}`);
  lines.push(p.bindWrites.length > 0 ? 'prepare would write, in this order:' : 'prepare would write nothing: the group is on vfio-pci already');
  lines.push(...p.bindWrites.map(write));
  if (p.restoreWrites.length > 0) lines.push('release would then write:', ...p.restoreWrites.map(write));
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
