// The host's device inventory (device.list) for a VM's hardware settings, read once per
// page: the names its passed devices are shown by. null while read, or when it cannot be.
import { useEffect, useState } from 'react';
import type { DeviceInventory } from '../../../../src-shared/device.js';
import { useServices } from '../../app/services.js';

export function useHostDevices(): DeviceInventory | null {
  const { client } = useServices();
  const [inventory, setInventory] = useState<DeviceInventory | null>(null);
  useEffect(() => {
    let live = true;
    // A host without an inventory still shows the VM's devices, by address only.
    client.call('device.list', {}).then((inv) => live && setInventory(inv), () => undefined);
    return () => {
      live = false;
    };
  }, [client]);
  return inventory;
}
