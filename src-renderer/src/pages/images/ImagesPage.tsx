// The Images section: the VM image library (disks, ISOs, kernels, initrds: each typed by
// its header at import, and the table filtered by type) and the OCI images
// capsules start from, with imports and pulls under way shown in place above them.
// Import disk starts an `image.import`, Import container image an `ociImage.import` and
// Pull image an `ociImage.pull`, which run on while the page shows their progress. An OCI
// image's Details open under its row. Each image says what uses it, and an ISO the OS on it.
// An image an operation holds (from anywhere) cannot be removed meanwhile: its Remove says why.
import { ChevronDown, ChevronRight, Download, PackagePlus, Plus } from 'lucide-react';
import { Fragment, useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { ResourceOperations } from '../../components/ResourceOperations.js';
import { formatClock } from '../../lib/format-time.js';
import { useBusyByName } from '../../lib/use-resource-busy.js';
import { formatBytes } from '../../lib/vm-format.js';
import type { ImageListEntry, ImageType } from '../../../../src-shared/vm.js';
import { createImageStore, type ImageKind } from '../../stores/image-store.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import '../../styles/images.css';
import '../../styles/networks.css';
import { DetectedOs } from './DetectedOs.js';
import { ImageSourceDialog } from './ImageSourceForm.js';
import { IMPORT_CONTAINER, IMPORT_DISK, PULL_IMAGE } from './image-sources.js';
import { OciImageDetails } from './OciImageDetails.js';

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
  const [pulling, setPulling] = useState(false);
  const [importingContainer, setImportingContainer] = useState(false);
  const [opened, setOpened] = useState<string | null>(null);
  const [shownType, setShownType] = useState<ImageType | 'all'>('all');
  const shownImages = vmImages?.filter((i) => shownType === 'all' || i.type === shownType) ?? null;
  const capsulesByImage = useStore(store, (s) => s.capsulesByImage);
  const vmBusy = useBusyByName('image');
  const ociBusy = useBusyByName('ociImage');

  useEffect(() => {
    void images.store.getState().load();
    return images.dispose;
  }, [images]);

  const { load, importDisk, importContainer, pull, dismissImportFailure } = store.getState();
  const showOperation = (id: string) => operations.getState().openPanel(id);
  return (
    <>
      <PageHeader
        title="Images"
        subtitle="Disks, ISOs, kernels and initrds for VMs, and the OCI images capsules start from."
        actions={
          <>
            <button type="button" className="button" onClick={() => setPulling(true)} data-method="ociImage.pull">
              <Download aria-hidden="true" size={14} />
              Pull image
            </button>
            <button type="button" className="button" onClick={() => setImportingContainer(true)} data-method="ociImage.import">
              <PackagePlus aria-hidden="true" size={14} />
              Import container image
            </button>
            <button type="button" className="button button--primary" onClick={() => setImporting(true)} data-method="image.import">
              <Plus aria-hidden="true" size={14} />
              Import disk
            </button>
          </>
        }
      />
      <div className="page-body" aria-busy={loading} data-method="image.list ociImage.list">
        <ResourceOperations kinds={IMAGE_KINDS} label="Image operations" />
        {failures.map((f) => (
          <ErrorPanel key={f.name} context={`The import of ${f.name} failed`} error={f.error} onRetry={() => dismissImportFailure(f.name)} retryLabel="Dismiss" />
        ))}
        {error && <ErrorPanel context="Could not read the images" error={error} onRetry={() => void load()} busy={loading} />}
        <ImageSection
          title="VM images"
          empty="No VM images yet: import a disk, an ISO, a kernel or an initrd."
          count={vmImages?.length ?? null}
          tools={<TypeFilter value={shownType} onChange={setShownType} counts={countByType(vmImages ?? [])} />}
        >
          {shownType !== 'all' && shownImages?.length === 0 && <p className="muted">No {TYPE_LABELS[shownType].plural} in the library.</p>}
          <table className="data-table" aria-label="VM images" hidden={shownImages?.length === 0}>
            <TableHead columns={[['Name'], ['Type'], ['Format'], ['Size', 'num'], ['On disk', 'num'], ['OS'], ['Used by'], ['Imported']]} />
            <tbody>
              {shownImages?.map((i) => (
                <tr key={i.name} data-image={i.name} data-type={i.type}>
                  <th scope="row" className="data-table__name">
                    {i.name}
                  </th>
                  <td>{TYPE_LABELS[i.type].one}</td>
                  <td>{i.detail ?? i.format}</td>
                  <td className="data-table__num">{formatBytes(i.virtualSize)}</td>
                  <td className="data-table__num">{formatBytes(i.actualSize)}</td>
                  <td>{i.type === 'iso' ? <DetectedOs path={i.path} /> : i.kernelVersion ? `Linux ${i.kernelVersion}` : <span className="muted">—</span>}</td>
                  <td>{usedBy(i.usedBy)}</td>
                  <td>{formatClock(i.importedAt)}</td>
                  <td className="data-table__actions">
                    <RemoveButton kind="vm" name={i.name} held={vmBusy[i.name] ?? null} onRemove={store.getState().remove} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ImageSection>
        <ImageSection title="OCI images" empty="No OCI images yet: pull one, or import an archive." count={ociImages?.length ?? null}>
          <table className="data-table" aria-label="OCI images">
            <TableHead columns={[['Name'], ['Source'], ['Size', 'num'], ['Used by'], ['Digest']]} />
            <tbody>
              {ociImages?.map((i) => (
                <Fragment key={i.name}>
                  <tr data-image={i.name}>
                    <th scope="row" className="data-table__name">
                      {i.name}
                    </th>
                    <td>{i.source === 'pull' ? 'pulled' : 'imported'}</td>
                    <td className="data-table__num">{formatBytes(i.sizeBytes)}</td>
                    <td>{usedBy(capsulesByImage[i.id] ?? [])}</td>
                    <td>
                      <code>{i.digest.slice(0, 19)}</code>
                    </td>
                    <td className="data-table__actions">
                      <button
                        type="button"
                        className="button button--small"
                        data-method="ociImage.inspect"
                        aria-expanded={opened === i.name}
                        aria-controls={`oci-details-${i.id}`}
                        aria-label={`Details of ${i.name}`}
                        onClick={() => setOpened(opened === i.name ? null : i.name)}
                      >
                        {opened === i.name ? <ChevronDown aria-hidden="true" size={13} /> : <ChevronRight aria-hidden="true" size={13} />}
                        Details
                      </button>{' '}
                      <RemoveButton kind="oci" name={i.name} held={ociBusy[i.name] ?? null} onRemove={store.getState().remove} />
                    </td>
                  </tr>
                  {opened === i.name && (
                    <tr id={`oci-details-${i.id}`} data-details={i.name}>
                      <td colSpan={6}>
                        <OciImageDetails name={i.name} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </ImageSection>
      </div>
      <ImageSourceDialog open={importing} spec={IMPORT_DISK} onClose={() => setImporting(false)} onSubmit={importDisk} onShowOperation={showOperation} />
      <ImageSourceDialog open={importingContainer} spec={IMPORT_CONTAINER} onClose={() => setImportingContainer(false)} onSubmit={importContainer} onShowOperation={showOperation} />
      <ImageSourceDialog open={pulling} spec={PULL_IMAGE} onClose={() => setPulling(false)} onSubmit={pull} onShowOperation={showOperation} />
    </>
  );
}

const TYPE_LABELS: Record<ImageType, { one: string; plural: string }> = {
  disk: { one: 'disk', plural: 'disks' },
  iso: { one: 'ISO', plural: 'ISOs' },
  kernel: { one: 'kernel', plural: 'kernels' },
  initrd: { one: 'initrd', plural: 'initrds' },
};

function countByType(images: readonly ImageListEntry[]): Record<ImageType, number> {
  const counts: Record<ImageType, number> = { disk: 0, iso: 0, kernel: 0, initrd: 0 };
  for (const i of images) counts[i.type] += 1;
  return counts;
}

/** One type at a time, or all: each choice says how many it holds. */
function TypeFilter({ value, onChange, counts }: { value: ImageType | 'all'; onChange: (v: ImageType | 'all') => void; counts: Record<ImageType, number> }) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return (
    <label className="image-filter">
      <span className="muted">Show</span>
      <select className="vm-input" value={value} onChange={(e) => onChange(e.target.value as ImageType | 'all')}>
        <option value="all">All types ({total})</option>
        {(Object.keys(TYPE_LABELS) as ImageType[]).map((t) => (
          <option key={t} value={t}>
            {TYPE_LABELS[t].plural[0]!.toUpperCase() + TYPE_LABELS[t].plural.slice(1)} ({counts[t]})
          </option>
        ))}
      </select>
    </label>
  );
}

function usedBy(names: readonly string[]): ReactNode {
  return names.length === 0 ? <span className="muted">nothing</span> : names.join(', ');
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

function ImageSection({ title, empty, count, tools, children }: { title: string; empty: string; count: number | null; tools?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section className="panel" aria-labelledby={id}>
      <div className="panel__head">
        <h2 id={id} className="panel__title">
          {title}
        </h2>
        {count !== null && count > 0 && tools}
      </div>
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
        data-method={kind === 'vm' ? 'image.remove' : 'ociImage.remove'}
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
