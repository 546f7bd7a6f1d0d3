// "Virtual functions: N of total" for a device with SR-IOV, and setting the count: the
// helper makes the VFs (autoprobe off, so each stays free for a VM) or removes them all
// with 0, and refuses a different non-zero count while some exist (the kernel answers
// EBUSY), or with the IOMMU off; that refusal is said beside the control, in words.
import { useId, useState } from 'react';
import { toErrorShape, type PciDevice } from '../../../../src-shared/index.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { errorWords } from '../../lib/error-words.js';
import { announce } from '../../stores/toast-store.js';

interface SriovControlProps {
  readonly device: PciDevice;
  readonly onChanged: () => void;
}

export function SriovControl({ device: d, onChanged }: SriovControlProps) {
  const { client } = useServices();
  const { confirm, dialog } = useConfirm();
  const id = useId();
  const sriov = d.sriov;
  const [count, setCount] = useState(String(sriov?.numVfs ?? 0));
  const [refusal, setRefusal] = useState<string | null>(null);
  const [setting, setSetting] = useState(false);
  if (!sriov) return null;
  const n = Number(count);
  const invalid = !/^\d+$/.test(count.trim()) || n > sriov.totalVfs ? `a whole number from 0 to ${sriov.totalVfs}` : null;

  const apply = async () => {
    if (invalid || setting || n === sriov.numVfs) return;
    const yes = await confirm({
      title: n === 0 ? `Remove the virtual functions of ${d.address}?` : `Make ${n} virtual functions of ${d.address}?`,
      body: <p>{n === 0 ? `Its ${sriov.numVfs} virtual functions go away; a VM using one loses it.` : `The device gets ${n} new PCI functions, each free to give to a VM.`}</p>,
      confirmLabel: n === 0 ? 'Remove them' : `Make ${n}`,
      confirmMethod: 'device.sriovSet',
    });
    if (!yes) return;
    setSetting(true);
    setRefusal(null);
    try {
      const done = await client.call('device.sriovSet', { address: d.address, count: n });
      announce(`${d.address} has ${done.vfs.length} virtual function${done.vfs.length === 1 ? '' : 's'}`, done.vfs.join(', ') || undefined);
      onChanged();
    } catch (err) {
      // The helper's sentence already says what to do (remove the VFs first, turn the IOMMU
      // on); the generic advice for its code would only contradict it.
      setRefusal(errorWords(toErrorShape(err)).sentence);
    } finally {
      setSetting(false);
    }
  };

  return (
    <div className="device-sriov" data-sriov={d.address}>
      <span data-vf-count>{`Virtual functions: ${sriov.numVfs} of ${sriov.totalVfs}`}</span>
      <label htmlFor={id} className="visually-hidden">{`Virtual functions of ${d.address}`}</label>
      <input id={id} className="vm-input device-sriov__count" inputMode="numeric" value={count} aria-invalid={invalid ? true : undefined} aria-describedby={invalid || refusal ? `${id}-why` : undefined} onChange={(e) => setCount(e.target.value)} />
      <button type="button" className="button" data-method="device.sriovSet" aria-disabled={invalid || setting || n === sriov.numVfs ? true : undefined} onClick={() => void apply()}>
        {setting ? 'Setting…' : 'Set'}
      </button>
      {(invalid ?? refusal) && (
        <p id={`${id}-why`} className="vm-field__error" role={refusal ? 'alert' : undefined}>
          {invalid ?? refusal}
        </p>
      )}
      {dialog}
    </div>
  );
}
