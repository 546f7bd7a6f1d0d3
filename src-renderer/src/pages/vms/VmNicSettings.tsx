// The VM's one network interface in its Settings tab: add it when the VM has none (on
// user-mode networking or a Nova network), remove it after a confirmation, and on a
// running VM plug or unplug its cable now. Adding and removing wait for the next start.
import { useState } from 'react';
import type { VmDefinition } from '../../../../src-shared/vm.js';
import type { VmDeviceChangeIn } from '../../../../src-shared/vm-devices.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { FormField } from './FormField.js';
import { ActionForm } from './VmActionForm.js';

interface VmNicSettingsProps {
  readonly def: VmDefinition;
  readonly running: boolean;
  readonly off: true | undefined;
  readonly whenNext: string;
  readonly onChange: (status: string, change: VmDeviceChangeIn, done: string) => void;
}

export function VmNicSettings({ def, running, off, whenNext, onChange }: VmNicSettingsProps) {
  const { confirm, dialog } = useConfirm();
  const [network, setNetwork] = useState('user');
  const [novaNetwork, setNovaNetwork] = useState('');
  const net = def.network;
  const has = net.mode !== 'none';

  const remove = async () => {
    const yes = await confirm({
      title: `Remove the NIC of ${def.name}?`,
      body: <p>{`${def.name} loses its network interface ${whenNext}: the guest sees no network until a NIC is added again. Its MAC setting goes with it.`}</p>,
      confirmLabel: 'Remove NIC',
      confirmMethod: 'vm.update',
    });
    if (yes) onChange('Removing the NIC…', { op: 'nic.set', network: 'none' }, `NIC removed (${whenNext})`);
  };
  const add = () => {
    const choice = network === 'nova' ? { nova: novaNetwork.trim() } : 'user';
    onChange('Adding a NIC…', { op: 'nic.set', network: choice }, `NIC added on ${network === 'nova' ? `Nova network ${novaNetwork.trim()}` : 'user networking'} (${whenNext})`);
  };

  return (
    <section className="vm-card" aria-labelledby="vm-nic">
      <h2 id="vm-nic" className="vm-card__title">
        Network interface
      </h2>
      {has ? (
        <>
          <p>
            Network: {net.mode === 'nova' ? `Nova network ${net.network}` : net.mode}; MAC: {def.nicMac ?? 'automatic'}
          </p>
          <div className="vm-wizard__actions">
            {running && (
              <>
                <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => onChange('Unplugging…', { op: 'nic.set', link: 'down' }, 'Cable unplugged')}>
                  Unplug cable (now)
                </button>
                <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => onChange('Plugging in…', { op: 'nic.set', link: 'up' }, 'Cable plugged in')}>
                  Plug cable in (now)
                </button>
              </>
            )}
            <button type="button" className="button" data-method="vm.update" aria-disabled={off} title={`Takes effect ${whenNext}`} onClick={() => void remove()}>
              Remove NIC
            </button>
          </div>
        </>
      ) : (
        <ActionForm label="Add a NIC" onSubmit={add}>
          <p>No network interface: the guest has no network.</p>
          <FormField label="Network" hint={`The NIC is added ${whenNext}.`}>
            {(p) => (
              <select {...p} className="vm-input" value={network} onChange={(e) => setNetwork(e.target.value)}>
                <option value="user">user (NAT through the host, no setup)</option>
                <option value="nova">a Nova network</option>
              </select>
            )}
          </FormField>
          {network === 'nova' && (
            <FormField label="Nova network name">
              {(p) => <input {...p} className="vm-input" value={novaNetwork} onChange={(e) => setNovaNetwork(e.target.value)} />}
            </FormField>
          )}
          <div className="vm-wizard__actions">
            <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? ((network === 'nova' && novaNetwork.trim() === '') || undefined)}>
              Add NIC
            </button>
          </div>
        </ActionForm>
      )}
      {dialog}
    </section>
  );
}
