// One disk in the Settings tab's Disks table: grow it (live on a running VM, through
// block_resize), change its bus or cache mode (at the next start), or remove it after a
// confirmation. The helper refuses a shrink; its words stand next to the size field.
import { useState } from 'react';
import type { VmDisk } from '../../../../src-shared/vm.js';
import { DiskBusSchema, DiskCacheSchema, type VmDeviceChangeIn } from '../../../../src-shared/vm-devices.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { ActionForm } from './VmActionForm.js';

interface VmDiskRowProps {
  readonly disk: VmDisk;
  readonly off: true | undefined;
  /** "at the next boot" or "when it starts": when a change that waits takes effect. */
  readonly whenNext: string;
  /** The helper's refusal of this disk's last resize, in words; null when none. */
  readonly resizeError: string | null;
  readonly onChange: (status: string, change: VmDeviceChangeIn, done: string) => void;
}

export function VmDiskRow({ disk, off, whenNext, resizeError, onChange }: VmDiskRowProps) {
  const { confirm, dialog } = useConfirm();
  const [size, setSize] = useState('');
  const [bus, setBus] = useState<string>(disk.bus ?? 'virtio');
  const [cache, setCache] = useState<string>(disk.cache ?? 'writeback');
  const id = disk.id;
  const changed = bus !== (disk.bus ?? 'virtio') || cache !== (disk.cache ?? 'writeback');
  const errorId = `vm-disk-${id}-size-error`;

  const remove = async () => {
    const yes = await confirm({
      title: `Remove ${id}?`,
      body: <p>{`${id} is detached ${whenNext}. A disk file Nova made (${disk.path}) is deleted with what it holds; a file of your own is left in place.`}</p>,
      confirmLabel: `Remove ${id}`,
      confirmMethod: 'vm.update',
    });
    if (yes) onChange(`Removing ${id}…`, { op: 'disk.remove', id }, `${id} removed`);
  };

  return (
    <tr data-disk={id}>
      <td>{id}</td>
      <td className="vm-mono">{disk.path}</td>
      <td>
        <select className="vm-input" aria-label={`Bus of ${id}`} value={bus} onChange={(e) => setBus(e.target.value)}>
          {DiskBusSchema.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      </td>
      <td>
        <select className="vm-input" aria-label={`Cache of ${id}`} value={cache} onChange={(e) => setCache(e.target.value)}>
          {DiskCacheSchema.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
        {changed && (
          <button
            type="button"
            className="button"
            data-method="vm.update"
            aria-disabled={off}
            title={`Takes effect ${whenNext}`}
            onClick={() => onChange(`Changing ${id}…`, { op: 'disk.set', id, bus: DiskBusSchema.parse(bus), cache: DiskCacheSchema.parse(cache) }, `${id}: ${bus}, cache ${cache} (${whenNext})`)}
          >
            Apply to {id}
          </button>
        )}
      </td>
      <td>
        <ActionForm label={`Resize ${id}`} onSubmit={() => size.trim() !== '' && onChange(`Resizing ${id}…`, { op: 'disk.resize', id, size: size.trim() }, `${id} grown to ${size.trim()} (now)`)}>
          <input
            className="vm-input"
            aria-label={`New size of ${id}`}
            placeholder="e.g. 16Gi"
            value={size}
            aria-invalid={resizeError !== null || undefined}
            aria-describedby={resizeError !== null ? errorId : undefined}
            onChange={(e) => setSize(e.target.value)}
          />{' '}
          <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? (size.trim() === '' || undefined)} title="Grows now, running or not; a disk only grows">
            Resize {id}
          </button>
          {resizeError !== null && (
            <p id={errorId} className="vm-field__error" role="alert">
              {resizeError}
            </p>
          )}
        </ActionForm>
      </td>
      <td>
        <button type="button" className="button" data-method="vm.update" aria-disabled={off} title={`Detaches ${whenNext}; a disk Nova made is deleted`} onClick={() => void remove()}>
          Remove {id}
        </button>
        {dialog}
      </td>
    </tr>
  );
}
