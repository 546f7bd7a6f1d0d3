// One IOMMU group on the Devices page: its devices with driver and readiness, each
// device's preflight on request, and the group's binding (who holds it) with Release.
import { useId, useState } from 'react';
import { toErrorShape, type DevicePreflight, type ErrorShape, type PciDevice } from '../../../../src-shared/index.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { deviceName, holderWords, READINESS_WORDS, VERDICT_STATUS, type DeviceGroupView } from '../../lib/device-groups.js';
import { announce } from '../../stores/toast-store.js';
import { PreflightList } from './PreflightList.js';
import { SriovControl } from './SriovControl.js';

const COLUMNS = ['Address', 'Device', 'Driver', 'Passthrough', 'Actions'] as const;

interface DeviceGroupPanelProps {
  readonly view: DeviceGroupView;
  readonly onPrepare: (address: string) => void;
  readonly onChanged: () => void;
}

export function DeviceGroupPanel({ view, onPrepare, onChanged }: DeviceGroupPanelProps) {
  const { client } = useServices();
  const titleId = useId();
  const { confirm, dialog } = useConfirm();
  const [preflight, setPreflight] = useState<Record<string, DevicePreflight>>({});
  const [error, setError] = useState<ErrorShape | null>(null);
  const [busy, setBusy] = useState(false);
  const title = view.group === null ? 'Not in an IOMMU group' : `IOMMU group ${view.group}`;
  const binding = view.binding;

  const check = async (d: PciDevice) => {
    if (preflight[d.address]) {
      const { [d.address]: _shown, ...rest } = preflight;
      return setPreflight(rest);
    }
    try {
      const p = await client.call('device.check', { address: d.address });
      setPreflight((s) => ({ ...s, [d.address]: p }));
    } catch (err) {
      setError(toErrorShape(err));
    }
  };

  const release = async () => {
    if (!binding) return;
    const yes = await confirm({
      title: `Release IOMMU group ${binding.group}?`,
      body: <p>{`${binding.functions.map((f) => `${f.address} goes back to ${f.originalDriver ?? 'no driver'}`).join('; ')}.`}</p>,
      confirmLabel: 'Release',
    });
    if (!yes) return;
    setBusy(true);
    setError(null);
    try {
      const r = await client.call('device.restore', { address: binding.primary });
      announce(`Released IOMMU group ${binding.group}: ${r.restored.join(', ') || 'nothing to restore'}`);
      onChanged();
    } catch (err) {
      setError(toErrorShape(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel device-group" aria-labelledby={titleId} data-group={view.group ?? 'none'}>
      <h2 id={titleId} className="panel__title">
        {title}
      </h2>
      {binding && (
        <p className="device-group__binding" data-phase={binding.phase}>
          On vfio-pci: {binding.functions.map((f) => f.address).join(', ')}; {holderWords(binding)}.{' '}
          <button type="button" className="button" data-method="device.restore" onClick={() => void release()} aria-disabled={busy || undefined}>
            Release
          </button>
        </p>
      )}
      {error && <ErrorPanel context={`${title}`} error={error} />}
      <table className="data-table" aria-label={`Devices of ${title}`}>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c} scope="col">
                {c === 'Actions' ? <span className="visually-hidden">{c}</span> : c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {view.devices.map((d) => (
            <DeviceRow key={d.address} device={d} preflight={preflight[d.address] ?? null} bound={binding !== null} onCheck={() => void check(d)} onPrepare={() => onPrepare(d.address)} onChanged={onChanged} />
          ))}
        </tbody>
      </table>
      {dialog}
    </section>
  );
}

interface DeviceRowProps {
  readonly device: PciDevice;
  readonly preflight: DevicePreflight | null;
  readonly bound: boolean;
  readonly onCheck: () => void;
  readonly onPrepare: () => void;
  readonly onChanged: () => void;
}

function DeviceRow({ device: d, preflight, bound, onCheck, onPrepare, onChanged }: DeviceRowProps) {
  return (
    <>
      <tr data-address={d.address}>
        <th scope="row" className="data-table__name">
          {d.address}
        </th>
        <td>
          {deviceName(d)}
          <span className="device-class"> · {d.className ?? d.classCode}</span>
          {d.bootVga === true && <span className="device-class"> · boot GPU</span>}
          <SriovControl device={d} onChanged={onChanged} />
        </td>
        <td>{d.driver ?? 'none'}</td>
        <td>
          <span className={`status-badge status-badge--${VERDICT_STATUS[d.readiness]}`} data-readiness={d.readiness}>
            {READINESS_WORDS[d.readiness]}
          </span>
        </td>
        <td className="data-table__actions">
          <button type="button" className="button" data-method="device.check" aria-expanded={preflight !== null} onClick={onCheck} aria-label={`Preflight of ${d.address}`}>
            Preflight
          </button>
          {d.readiness !== 'bridge' && !bound && (
            <button type="button" className="button" data-method="device.bindPreview" onClick={onPrepare} aria-label={`Prepare for passthrough: ${d.address}`}>
              Prepare for passthrough
            </button>
          )}
        </td>
      </tr>
      {preflight && (
        <tr className="device-preflight-row">
          <td colSpan={5}>
            <PreflightList preflight={preflight} />
          </td>
        </tr>
      )}
    </>
  );
}
