// The host PCI devices a VM is given (VFIO passthrough), in its hardware settings: each
// with its policy and ROM, bound to vfio-pci at every start with its IOMMU group; the
// Devices page says whether a device can be passed at all; the picker below refuses one
// its preflight blocks.
import type { PciDevice } from '../../../../src-shared/device.js';
import type { VmDefinition } from '../../../../src-shared/vm.js';
import type { VmDeviceChangeIn } from '../../../../src-shared/vm-devices.js';
import { VmPciPicker } from './VmPciPicker.js';

interface VmPassedDevicesProps {
  readonly def: VmDefinition;
  /** The host's PCI devices (device.list), to say what each passed one is; null while read. */
  readonly hostPci: readonly PciDevice[] | null;
  readonly disabled: boolean;
  readonly when: string;
  readonly onChange: (status: string, change: VmDeviceChangeIn, done: string) => void;
}

/** What a PCI address is on this host, from pci.ids through the inventory. */
export function pciWords(address: string, host: readonly PciDevice[] | null): string {
  const d = host?.find((p) => p.address === address);
  if (!d) return host === null ? 'a host PCI device' : 'not on this host now';
  return [d.vendorName, d.deviceName ?? d.className].filter((x) => x !== null).join(' ') || d.classCode;
}

export function VmPassedDevices({ def, hostPci, disabled, when, onChange }: VmPassedDevicesProps) {
  const devices = def.devices ?? [];
  return (
    <section className="vm-card" aria-labelledby="vm-pci">
      <h2 id="vm-pci" className="vm-card__title">
        Passed-through devices
      </h2>
      {devices.length === 0 ? (
        <p>
          None. <a href="#/devices">Devices</a> lists the host&apos;s PCI devices and why each can or cannot be passed through.
        </p>
      ) : (
        <ul aria-label="Passed-through PCI devices">
          {devices.map((d) => (
            <li key={d.address} data-address={d.address}>
              <span className="vm-mono">{d.address}</span>: {pciWords(d.address, hostPci)} (its IOMMU group comes along; {d.policy === 'keep' ? 'stays on vfio-pci after the VM stops' : 'back to its host driver after the VM stops'}
              {d.rom ? `; ROM ${d.rom}` : ''}){' '}
              <button type="button" className="button" data-method="vm.update" aria-disabled={disabled || undefined} onClick={() => onChange(`Removing ${d.address}…`, { op: 'pci.remove', address: d.address }, `${d.address} removed (${when})`)}>
                Remove ({when})
              </button>
            </li>
          ))}
        </ul>
      )}
      <VmPciPicker
        passed={devices.map((d) => d.address)}
        memoryMib={def.memoryMiB}
        disabled={disabled}
        when={when}
        onAdd={(address) => onChange(`Adding ${address}…`, { op: 'pci.add', device: { address } }, `${address} passed through (${when})`)}
      />
    </section>
  );
}
