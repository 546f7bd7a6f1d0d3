// "Prepare for passthrough": first the dry run (device.bindPreview: the same refusals as
// a bind, and the exact ordered sysfs writes, simulated without touching the host), then
// Apply (device.bind) makes those writes.
import { useEffect, useState } from 'react';
import { toErrorShape, type BindPreview, type ErrorShape, type SysfsWrite } from '../../../../src-shared/index.js';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { announce } from '../../stores/toast-store.js';

interface PrepareDialogProps {
  readonly address: string;
  readonly onClose: () => void;
  readonly onApplied: () => void;
}

const shown = (data: string) => JSON.stringify(data.replace(/\n$/, ''));

export function PrepareDialog({ address, onClose, onApplied }: PrepareDialogProps) {
  const { client } = useServices();
  const [preview, setPreview] = useState<BindPreview | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);
  const [applying, setApplying] = useState(false);

  useEffect(() => {
    let live = true;
    client.call('device.bindPreview', { address }).then(
      (p) => live && setPreview(p),
      (err: unknown) => live && setError(toErrorShape(err)),
    );
    return () => {
      live = false;
    };
  }, [client, address]);

  const apply = async () => {
    setApplying(true);
    setError(null);
    try {
      const r = await client.call('device.bind', { address, policy: 'keep' });
      announce(`IOMMU group ${r.binding.group} is on vfio-pci`);
      onApplied();
    } catch (err) {
      setError(toErrorShape(err));
      setApplying(false);
    }
  };

  return (
    <ModalDialog open title={`Prepare ${address} for passthrough`} onClose={onClose} className="prepare-dialog">
      <div className="modal__body">
        {!preview && !error && <p role="status">Simulating the bind…</p>}
        {error && <ErrorPanel context={preview ? `Preparing ${address} failed` : `${address} cannot be prepared`} error={error} />}
        {preview && (
          <>
            <p>
              Dry run: nothing has changed yet. IOMMU group {preview.group} moves to vfio-pci:
            </p>
            <ul aria-label="Functions that move">
              {preview.functions.map((f) => (
                <li key={f.address}>{`${f.address}: ${f.from ?? 'no driver'} → ${f.to}`}</li>
              ))}
            </ul>
            {preview.bindWrites.length === 0 ? (
              <p>The group is on vfio-pci already: Apply writes nothing.</p>
            ) : (
              <>
                <h3 className="prepare-dialog__heading">Apply writes, in this order</h3>
                <WriteList label="Writes Apply makes" writes={preview.bindWrites} />
                <h3 className="prepare-dialog__heading">Release writes later</h3>
                <WriteList label="Writes Release makes" writes={preview.restoreWrites} />
              </>
            )}
            {preview.warnings.map((w) => (
              <p key={w} className="devices-notice">
                {w}
              </p>
            ))}
          </>
        )}
      </div>
      <footer className="modal__footer">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button button--primary" data-method="device.bind" onClick={() => void apply()} aria-disabled={!preview || applying || undefined} disabled={!preview}>
          {applying ? 'Applying…' : 'Apply'}
        </button>
      </footer>
    </ModalDialog>
  );
}

/** Each write as `"DATA" > PATH`, in the order it is made. */
function WriteList({ label, writes }: { readonly label: string; readonly writes: readonly SysfsWrite[] }) {
  return (
    <ol className="prepare-dialog__writes" aria-label={label}>
      {writes.map((w, i) => (
        <li key={i}>
          <code>{`${shown(w.data)} > ${w.path}`}</code>
        </li>
      ))}
    </ol>
  );
}
