// A VM image field that picks from the library (image.list): ISOs for an installer, disks
// for an existing disk, kernels and initrds for a direct boot (each as its header said). "A file on the host…" still takes a typed path, which the helper
// opens only inside its allowed folders, checked against the user's own rights.
import { useEffect, useState } from 'react';
import type { ImageListEntry, ImageType } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { formatBytes } from '../../lib/vm-format.js';

const TYPED = '__typed';

export interface LibraryImagePickerProps {
  /** From FormField: the select's id, aria-invalid and aria-describedby. */
  readonly field: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string };
  readonly label: string;
  readonly value: string;
  readonly onChange: (path: string) => void;
  /** Which images fit: ISOs, disks, kernels or initrds. */
  readonly type: ImageType;
  readonly placeholder: string;
  /** A path settled on: picked from the library, or typed and left. */
  readonly onSettled?: (path: string) => void;
  /** The helper method `onSettled` calls (image.detectOs), for data-method on the controls that settle. */
  readonly settledMethod?: string;
  /** For a field that may stay empty: what its empty choice says ("None"). */
  readonly optional?: string;
}

const PLURAL: Record<ImageType, string> = { disk: 'disks', iso: 'ISOs', kernel: 'kernels', initrd: 'initrds' };

export function LibraryImagePicker({ field, label, value, onChange, type, placeholder, onSettled, settledMethod, optional }: LibraryImagePickerProps) {
  const { client } = useServices();
  const [images, setImages] = useState<readonly ImageListEntry[] | null>(null);
  const [typing, setTyping] = useState(false);
  useEffect(() => {
    let live = true;
    client.call('image.list', {}).then(
      (list) => live && setImages(list.filter((i) => i.type === type)),
      () => live && setImages([]),
    );
    return () => {
      live = false;
    };
  }, [client, type]);
  const inLibrary = images?.some((i) => i.path === value) ?? false;
  const typed = typing || (value !== '' && !inLibrary && images !== null);
  return (
    <div className="library-picker">
      <select
        {...field}
        className="vm-input"
        data-method={settledMethod}
        value={typed ? TYPED : value}
        onChange={(e) => {
          const picked = e.target.value;
          setTyping(picked === TYPED);
          onChange(picked === TYPED ? '' : picked);
          if (picked !== TYPED && picked !== '') onSettled?.(picked);
        }}
      >
        <option value="">{images === null ? 'Reading the library…' : (optional ?? (images.length === 0 ? `No ${PLURAL[type]} in the library yet` : 'Choose from the library…'))}</option>
        {(images ?? []).map((i) => (
          <option key={i.name} value={i.path}>
            {i.name} ({i.detail ?? i.format}, {formatBytes(i.virtualSize)})
          </option>
        ))}
        <option value={TYPED}>A file on the host…</option>
      </select>
      {typed && (
        <input className="vm-input" data-method={settledMethod} aria-label={`${label} path`} value={value} placeholder={placeholder} spellCheck={false} autoComplete="off" onChange={(e) => onChange(e.target.value)} onBlur={(e) => onSettled?.(e.target.value)} />
      )}
    </div>
  );
}
