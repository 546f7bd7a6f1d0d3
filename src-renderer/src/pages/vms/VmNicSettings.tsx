// The VM's network interfaces in its Settings tab: one row per NIC (net0, net1, ...) with
// its network, MAC, model and link; change a NIC's network or MAC, remove it after a
// confirmation, plug or unplug its cable (now on a running VM, and kept), and add one
// more. Network, MAC and adding or removing wait for the next start of a running VM.
import { useState } from 'react';
import type { VmDefinition } from '../../../../src-shared/vm.js';
import { MAX_VM_NICS, showNicNetwork, type VmDeviceChangeIn, type VmNic } from '../../../../src-shared/vm-devices.js';
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

type NetworkChoice = 'user' | { nova: string };

/** "user" or a Nova network's name, as the form's two fields give it. */
function choiceOf(kind: string, nova: string): NetworkChoice {
  return kind === 'nova' ? { nova: nova.trim() } : 'user';
}

function describeChoice(choice: NetworkChoice): string {
  return choice === 'user' ? 'user networking' : `Nova network ${choice.nova}`;
}

export function VmNicSettings({ def, running, off, whenNext, onChange }: VmNicSettingsProps) {
  const { confirm, dialog } = useConfirm();
  const [kind, setKind] = useState('user');
  const [nova, setNova] = useState('');
  const full = def.nics.length >= MAX_VM_NICS;

  const remove = async (index: number) => {
    const yes = await confirm({
      title: `Remove NIC net${index} of ${def.name}?`,
      body: <p>{`${def.name} loses net${index} ${whenNext}; the NICs after it move up one place. Its MAC setting goes with it.`}</p>,
      confirmLabel: 'Remove NIC',
      confirmMethod: 'vm.update',
    });
    if (yes) onChange(`Removing net${index}…`, { op: 'nic.remove', index }, `NIC net${index} removed (${whenNext})`);
  };
  const add = () => {
    const choice = choiceOf(kind, nova);
    onChange('Adding a NIC…', { op: 'nic.add', network: choice }, `NIC net${def.nics.length} added on ${describeChoice(choice)} (${whenNext})`);
  };

  return (
    <section className="vm-card" aria-labelledby="vm-nic">
      <h2 id="vm-nic" className="vm-card__title">
        Network interfaces
      </h2>
      {def.nics.length === 0 ? (
        <p>No network interface: the guest has no network.</p>
      ) : (
        <ul className="vm-nic-list" aria-label="Network interfaces">
          {def.nics.map((nic, index) => (
            <NicRow key={index} nic={nic} index={index} running={running} off={off} whenNext={whenNext} onChange={onChange} onRemove={() => void remove(index)} />
          ))}
        </ul>
      )}
      <ActionForm label="Add a NIC" onSubmit={add}>
        <NetworkFields label="Network of a new NIC" novaLabel="Nova network name" hint={full ? `A VM has at most ${MAX_VM_NICS} NICs.` : `The NIC is added ${whenNext}, after the others.`} kind={kind} nova={nova} setKind={setKind} setNova={setNova} />
        <div className="vm-wizard__actions">
          <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? ((full || (kind === 'nova' && nova.trim() === '')) || undefined)}>
            Add NIC
          </button>
        </div>
      </ActionForm>
      {dialog}
    </section>
  );
}

interface NicRowProps extends Omit<VmNicSettingsProps, 'def'> {
  readonly nic: VmNic;
  readonly index: number;
  readonly onRemove: () => void;
}

function NicRow({ nic, index, running, off, whenNext, onChange, onRemove }: NicRowProps) {
  const [editing, setEditing] = useState(false);
  const [kind, setKind] = useState<string>(nic.network.mode);
  const [nova, setNova] = useState(nic.network.mode === 'nova' ? nic.network.network : '');
  const [mac, setMac] = useState(nic.mac ?? '');
  const id = `net${index}`;
  const link = nic.link ?? 'up';
  const save = () => {
    const change: VmDeviceChangeIn = { op: 'nic.set', index, network: choiceOf(kind, nova), mac: mac.trim() === '' ? null : mac.trim() };
    setEditing(false);
    onChange(`Changing ${id}…`, change, `${id} changed (${whenNext})`);
  };
  const setLink = (to: 'up' | 'down') =>
    onChange(to === 'down' ? `Unplugging ${id}…` : `Plugging in ${id}…`, { op: 'nic.set', index, link: to }, `${id} cable ${to === 'down' ? 'unplugged' : 'plugged in'}${running ? ' (now)' : ''}`);

  return (
    <li className="vm-nic" data-testid={`vm-nic-${index}`}>
      <p>
        <strong>{id}</strong>: {showNicNetwork(nic.network)}; MAC {nic.mac ?? 'automatic'}; {nic.model ?? 'virtio'}; cable {link === 'up' ? 'plugged in' : 'unplugged'}
      </p>
      <div className="vm-wizard__actions">
        <button type="button" className="button" data-method="vm.update" aria-disabled={off} title={running ? 'Takes effect now' : 'Kept for the next start'} onClick={() => setLink(link === 'up' ? 'down' : 'up')}>
          {link === 'up' ? `Unplug ${id} cable` : `Plug ${id} cable in`}
        </button>
        <button type="button" className="button" data-method="vm.update" aria-disabled={off} aria-expanded={editing} onClick={() => setEditing(!editing)}>
          Change {id}
        </button>
        <button type="button" className="button" data-method="vm.update" aria-disabled={off} title={`Takes effect ${whenNext}`} onClick={onRemove}>
          Remove {id}
        </button>
      </div>
      {editing && (
        <ActionForm label={`Change ${id}`} onSubmit={save}>
          <NetworkFields label={`Network of ${id}`} novaLabel={`Nova network of ${id}`} hint={`Takes effect ${whenNext}.`} kind={kind} nova={nova} setKind={setKind} setNova={setNova} />
          <FormField label={`MAC of ${id}`} hint="Empty: the automatic one.">
            {(p) => <input {...p} className="vm-input" value={mac} placeholder="52:54:00:12:34:56" onChange={(e) => setMac(e.target.value)} />}
          </FormField>
          <div className="vm-wizard__actions">
            <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? ((kind === 'nova' && nova.trim() === '') || undefined)}>
              Save {id}
            </button>
          </div>
        </ActionForm>
      )}
    </li>
  );
}

interface NetworkFieldsProps {
  readonly label: string;
  readonly novaLabel: string;
  readonly hint: string;
  readonly kind: string;
  readonly nova: string;
  readonly setKind: (kind: string) => void;
  readonly setNova: (nova: string) => void;
}

/** Where a NIC's cable goes: user networking, or a Nova network named in a second field. */
function NetworkFields({ label, novaLabel, hint, kind, nova, setKind, setNova }: NetworkFieldsProps) {
  return (
    <>
      <FormField label={label} hint={hint}>
        {(p) => (
          <select {...p} className="vm-input" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="user">user (NAT through the host, no setup)</option>
            <option value="nova">a Nova network</option>
          </select>
        )}
      </FormField>
      {kind === 'nova' && <FormField label={novaLabel}>{(p) => <input {...p} className="vm-input" value={nova} onChange={(e) => setNova(e.target.value)} />}</FormField>}
    </>
  );
}
