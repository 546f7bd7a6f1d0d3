// The Devices page: the host's PCI devices grouped by IOMMU group (the unit passthrough
// takes), each with its readiness and, on request, its preflight; "Prepare for
// passthrough" shows the exact sysfs writes before Apply makes them, and Release gives a
// prepared group back. Which VM holds a group comes from device.bindingList. A
// `device.changed` (a hot-plug, a driver change, a rescan that found one) reloads it.
import { RefreshCw } from 'lucide-react';
import '../../styles/devices.css';
import '../../styles/networks.css';
import { useCallback, useEffect, useState } from 'react';
import { toErrorShape, type DeviceBinding, type DeviceInventory, type ErrorShape } from '../../../../src-shared/index.js';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { groupDevices } from '../../lib/device-groups.js';
import { DeviceGroupPanel } from './DeviceGroupPanel.js';
import { PrepareDialog } from './PrepareDialog.js';

export function DevicesPage() {
  const { client } = useServices();
  const [inventory, setInventory] = useState<DeviceInventory | null>(null);
  const [bindings, setBindings] = useState<DeviceBinding[]>([]);
  const [error, setError] = useState<ErrorShape | null>(null);
  const [loading, setLoading] = useState(false);
  const [preparing, setPreparing] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const [inv, bound] = await Promise.all([client.call('device.list', { refresh: true }), client.call('device.bindingList', {})]);
      setInventory(inv);
      setBindings(bound.bindings);
      setError(null);
    } catch (err) {
      setError(toErrorShape(err));
    } finally {
      setLoading(false);
    }
  }, [client]);

  useEffect(() => {
    void load();
    return client.on('device.changed', () => void load());
  }, [client, load]);

  return (
    <>
      <PageHeader
        title="Devices"
        subtitle="PCI devices by IOMMU group, and whether each can be passed to a virtual machine."
        actions={
          <button type="button" className="button" data-method="device.list device.bindingList" onClick={() => void load()} aria-disabled={loading || undefined}>
            <RefreshCw aria-hidden="true" size={14} />
            Refresh
          </button>
        }
      />
      <div className="page-body" aria-busy={loading}>
        {error && <ErrorPanel context="Could not read this host's devices" error={error} onRetry={() => void load()} busy={loading} />}
        {inventory && !inventory.iommuActive && (
          <p className="devices-notice" role="status">
            The IOMMU is off, so no device can be passed through. Open a device&apos;s preflight to see how to turn it on for this CPU.
          </p>
        )}
        {inventory &&
          groupDevices(inventory, bindings).map((g) => (
            <DeviceGroupPanel key={g.group ?? 'none'} view={g} onPrepare={setPreparing} onChanged={() => void load()} />
          ))}
      </div>
      {preparing && (
        <PrepareDialog
          address={preparing}
          onClose={() => setPreparing(null)}
          onApplied={() => {
            setPreparing(null);
            void load();
          }}
        />
      )}
    </>
  );
}
