// Choosing a host PCI device to pass to a VM: the devices of device.list with their
// readiness, and for the one chosen its preflight (device.check). A device the preflight
// blocks is refused here, with the reasons and what to do, before the definition names it.
import { useEffect, useState } from 'react';
import type { DevicePreflight, PciDevice } from '../../../../src-shared/device.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { useServices } from '../../app/services.js';
import { errorWords } from '../../lib/error-words.js';
import { FormField } from './FormField.js';
import { ActionForm } from './VmActionForm.js';

interface VmPciPickerProps {
  readonly passed: readonly string[];
  readonly memoryMib: number;
  readonly disabled: boolean;
  readonly when: string;
  readonly onAdd: (address: string) => void;
}

const describe = (d: PciDevice) => `${d.address} ${d.deviceName ?? d.className ?? d.classCode} (${d.readiness})`;

export function VmPciPicker({ passed, memoryMib, disabled, when, onAdd }: VmPciPickerProps) {
  const { client } = useServices();
  const [devices, setDevices] = useState<readonly PciDevice[] | null>(null);
  const [address, setAddress] = useState('');
  const [check, setCheck] = useState<DevicePreflight | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);

  useEffect(() => {
    let live = true;
    client.call('device.list', {}).then(
      (inv) => live && setDevices(inv.pci.filter((d) => d.readiness !== 'bridge')),
      (err: unknown) => live && setError(toErrorShape(err)),
    );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(() => {
    setCheck(null);
    if (address === '') return;
    let live = true;
    client.call('device.check', { address, memoryMib }).then(
      (c) => live && setCheck(c),
      (err: unknown) => live && setError(toErrorShape(err)),
    );
    return () => {
      live = false;
    };
  }, [client, address, memoryMib]);

  const blocked = check?.verdict === 'block';
  const choices = (devices ?? []).filter((d) => !passed.includes(d.address));
  return (
    <ActionForm label="Pass a PCI device" onSubmit={() => address !== '' && check !== null && !blocked && onAdd(address)}>
      <FormField label="PCI device" hint={`Passed through ${when}, with its IOMMU group.`}>
        {(p) => (
          <select {...p} className="vm-input" data-method="device.list device.check" value={address} onChange={(e) => setAddress(e.target.value)}>
            <option value="">{devices === null ? 'Reading the host’s devices…' : 'Choose a device'}</option>
            {choices.map((d) => (
              <option key={d.address} value={d.address}>
                {describe(d)}
              </option>
            ))}
          </select>
        )}
      </FormField>
      {error && (
        <p className="vm-field__error" role="alert">
          {errorWords(error).sentence}
        </p>
      )}
      {blocked && (
        <div role="alert" aria-label="Why this device cannot be passed">
          <p className="vm-field__error">{address} cannot be passed through on this host:</p>
          <ul>
            {check.items
              .filter((i) => i.verdict === 'block')
              .map((i) => (
                <li key={i.id}>
                  {/[.!?]$/.test(i.summary) ? i.summary : `${i.summary}.`}
                  {i.fix ? ` ${i.fix}` : ''}
                </li>
              ))}
          </ul>
        </div>
      )}
      <div className="vm-wizard__actions">
        <button type="submit" className="button" data-method="vm.update" aria-disabled={disabled || address === '' || check === null || blocked || undefined}>
          Pass device
        </button>
      </div>
    </ActionForm>
  );
}
