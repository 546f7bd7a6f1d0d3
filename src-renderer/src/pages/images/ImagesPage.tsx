// The Images section: the VM image library (disks, ISOs, kernels) and the OCI images
// capsules start from, with imports and pulls under way shown in place above them.
// Import disk starts an `image.import`, which runs on while the page shows its progress.
// An image an operation holds (from anywhere) cannot be removed meanwhile: its Remove says why.
import { Plus } from 'lucide-react';
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { ResourceOperations } from '../../components/ResourceOperations.js';
import { formatClock } from '../../lib/format-time.js';
import { useBusyByName } from '../../lib/use-resource-busy.js';
import { formatBytes } from '../../lib/vm-format.js';
import { createImageStore, type ImageKind } from '../../stores/image-store.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import '../../styles/networks.css';
import { ImportDiskDialog } from './ImportDiskDialog.js';

const IMAGE_KINDS = ['image', 'ociImage'] as const;

export function ImagesPage() {
  const { client, operations } = useServices();
  const images = useMemo(() => createImageStore(client, operations), [client, operations]);
  const store = images.store;
  const vmImages = useStore(store, (s) => s.images);
  const ociImages = useStore(store, (s) => s.ociImages);
  const error = useStore(store, (s) => s.error);
  const loading = useStore(store, (s) => s.loading);
  const failures = useStore(store, (s) => s.importFailures);
  const [importing, setImporting] = useState(false);
  const vmBusy = useBusyByName('image');
  const ociBusy = useBusyByName('ociImage');

  useEffect(() => {
    void images.store.getState().load();
    return images.dispose;
  }, [images]);

  const { load, importDisk, dismissImportFailure } = store.getState();
  return (
    <>
      <PageHeader
        title="Images"
        subtitle="Disks, ISOs and kernels for VMs, and the OCI images capsules start from."
        actions={
          <button type="button" className="button button--primary" data-method="image.import" onClick={() => setImporting(true)}>
            <Plus aria-hidden="true" size={14} />
            Import disk
          </button>
        }
      />
      <div className="page-body" aria-busy={loading} data-method="image.list ociImage.list">
        <ResourceOperations kinds={IMAGE_KINDS} label="Image operations" />
        {failures.map((f) => (
          <ErrorPanel key={f.name} context={`The import of ${f.name} failed`} error={f.error} onRetry={() => dismissImportFailure(f.name)} retryLabel="Dismiss" />
        ))}
        {error && <ErrorPanel context="Could not read the images" error={error} onRetry={() => void load()} busy={loading} />}
        <ImageSection title="VM images" empty="No VM images yet: import a disk, an ISO or a kernel." count={vmImages?.length ?? null}>
          <table className="data-table" aria-label="VM images">
            <TableHead columns={[['Name'], ['Format'], ['Size', 'num'], ['On disk', 'num'], ['Imported']]} />
            <tbody>
              {vmImages?.map((i) => (
                <tr key={i.name} data-image={i.name}>
                  <th scope="row" className="data-table__name">
                    {i.name}
                  </th>
                  <td>{i.format}</td>
                  <td className="data-table__num">{formatBytes(i.virtualSize)}</td>
                  <td className="data-table__num">{formatBytes(i.actualSize)}</td>
                  <td>{formatClock(i.importedAt)}</td>
                  <td className="data-table__actions">
                    <RemoveButton kind="vm" name={i.name} held={vmBusy[i.name] ?? null} onRemove={store.getState().remove} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ImageSection>
        <ImageSection title="OCI images" empty="No OCI images yet: pull or import one with “nova image”." count={ociImages?.length ?? null}>
          <table className="data-table" aria-label="OCI images">
            <TableHead columns={[['Name'], ['Source'], ['Size', 'num'], ['Digest']]} />
            <tbody>
              {ociImages?.map((i) => (
                <tr key={i.name} data-image={i.name}>
                  <th scope="row" className="data-table__name">
                    {i.name}
                  </th>
                  <td>{i.source === 'pull' ? 'pulled' : 'imported'}</td>
                  <td className="data-table__num">{formatBytes(i.sizeBytes)}</td>
                  <td>
                    <code>{i.digest.slice(0, 19)}</code>
                  </td>
                  <td className="data-table__actions">
                    <RemoveButton kind="oci" name={i.name} held={ociBusy[i.name] ?? null} onRemove={store.getState().remove} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ImageSection>
      </div>
      <ImportDiskDialog open={importing} onClose={() => setImporting(false)} onImport={importDisk} onShowOperation={(id) => operations.getState().openPanel(id)} />
    </>
  );
}

/** The column headings, and an unnamed last column for each row's Remove. */
function TableHead({ columns }: { columns: ReadonlyArray<readonly [string, 'num'?]> }) {
  return (
    <thead>
      <tr>
        {columns.map(([label, num]) => (
          <th key={label} scope="col" className={num ? 'data-table__num' : undefined}>
            {label}
          </th>
        ))}
        <th scope="col" className="data-table__actions">
          <span className="visually-hidden">Actions</span>
        </th>
      </tr>
    </thead>
  );
}

function ImageSection({ title, empty, count, children }: { title: string; empty: string; count: number | null; children: ReactNode }) {
  const id = useId();
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id} className="panel__title">
        {title}
      </h2>
      {count === null ? <p className="muted">Reading…</p> : count === 0 ? <p className="muted">{empty}</p> : children}
    </section>
  );
}

const REMOVE_METHOD: Record<ImageKind, string> = { vm: 'image.remove', oci: 'ociImage.remove' };

/** Remove asks once more, in place; the helper refuses an image something still uses, and says which. */
interface RemoveButtonProps {
  readonly kind: ImageKind;
  readonly name: string;
  /** An operation holding the image: Remove is off and says which. */
  readonly held: ResourceBusy | null;
  readonly onRemove: (kind: ImageKind, name: string) => Promise<void>;
}

function RemoveButton({ kind, name, held, onRemove }: RemoveButtonProps) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  if (!confirming) {
    return (
      <>
        {problem && (
          <span className="text-fail" role="alert">
            {problem}{' '}
          </span>
        )}
        <button
          type="button"
          className="button button--small"
          data-method={REMOVE_METHOD[kind]}
          onClick={() => !held && setConfirming(true)}
          aria-label={`Remove ${name}`}
          aria-disabled={held ? true : undefined}
          title={held?.reason}
        >
          Remove
        </button>
      </>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={`Confirm removing ${name}`}>
      <button
        type="button"
        className="button button--small button--danger"
        data-method={REMOVE_METHOD[kind]}
        onClick={() =>
          void onRemove(kind, name).catch((err: unknown) => {
            setProblem(err instanceof Error ? err.message : String(err));
            setConfirming(false);
          })
        }
      >
        Remove {name}
      </button>
      <button type="button" className="button button--small" onClick={() => setConfirming(false)}>
        Keep
      </button>
    </span>
  );
}
