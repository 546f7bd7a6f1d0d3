// A VM's hardware in its Settings tab: CPUs and memory, disks, CD drives, the NIC and passed PCI devices,
// each change one vm.update call. Every control says when it takes effect: CD media, a
// disk's growth and the NIC's link now on a running VM, everything else at the next
// boot, and what is still waiting is listed as pending. After an ISO install the
// helper offers to eject the CD; a banner here does it in one click.
import { useState, type FormEvent, type ReactNode } from 'react';
import type { VmInfo, VmUpdateSpecIn } from '../../../../src-shared/vm.js';
import { DiskBusSchema, type VmDeviceChangeIn } from '../../../../src-shared/vm-devices.js';
import { useServices } from '../../app/services.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { FormField } from './FormField.js';
import { VmPassedDevices } from './VmPassedDevices.js';
import { useVmStore } from './vm-context.js';

const NOW = 'now';
const NEXT_BOOT = 'at the next boot';

export function VmHardwareSettings({ vm, busy }: { vm: VmInfo; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useVmStore();
  const def = vm.definition;
  const name = def.name;
  const running = vm.state === 'running' || vm.state === 'paused';
  const off = busy ? true : undefined;
  const [cpus, setCpus] = useState(String(def.cpus));
  const [memory, setMemory] = useState(`${def.memoryMiB}Mi`);
  const [diskSize, setDiskSize] = useState('');
  const [diskBus, setDiskBus] = useState<'virtio' | 'sata' | 'scsi'>('virtio');
  const [isoPath, setIsoPath] = useState('');
  const [isoDrive, setIsoDrive] = useState('cd0');

  const update = (status: string, spec: Omit<VmUpdateSpecIn, 'name'>) => {
    if (busy) return;
    void store.getState().run(name, status, () => client.call('vm.update', { name, ...spec }));
  };
  const change = (status: string, device: VmDeviceChangeIn) => update(status, { devices: [device] });
  const when = (live: boolean) => (running ? (live ? NOW : NEXT_BOOT) : 'when it starts');
  const drives = [...(def.iso !== null ? [{ id: 'cd0', path: def.iso }] : []), ...(def.cdroms ?? [])];

  return (
    <>
      {vm.ejectSuggested && (
        <div className="vm-card vm-banner" role="status" aria-label="Install finished">
          <p>The install finished and the guest restarted. Eject the CD so {name} boots from its disk.</p>
          <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => change('Ejecting…', { op: 'cd.eject', drive: 'cd0' })}>
            Eject the CD
          </button>
        </div>
      )}
      {(vm.pendingChanges ?? []).length > 0 && (
        <div className="vm-card vm-banner" role="status" aria-label="Pending changes">
          <p>Pending until the next boot: {(vm.pendingChanges ?? []).join('; ')}</p>
        </div>
      )}
      <ActionForm className="vm-card" label="Resources" onSubmit={() => update('Saving…', { cpus: Number(cpus), memory })}>
        <h2 className="vm-card__title">Resources</h2>
        <FormField label="CPUs" hint={`Takes effect ${when(false)}.`}>
          {(p) => <input {...p} className="vm-input" inputMode="numeric" value={cpus} onChange={(e) => setCpus(e.target.value)} />}
        </FormField>
        <FormField label="Memory" hint={`e.g. 2Gi or 512Mi. Takes effect ${when(false)}.`}>
          {(p) => <input {...p} className="vm-input" value={memory} onChange={(e) => setMemory(e.target.value)} />}
        </FormField>
        <Submit label="Save resources" off={off} />
      </ActionForm>
      <section className="vm-card" aria-labelledby="vm-disks">
        <h2 id="vm-disks" className="vm-card__title">Disks</h2>
        <table className="vm-table" aria-label="Disks">
          <thead>
            <tr>
              <th>Disk</th>
              <th>File</th>
              <th>Bus</th>
              <th>Cache</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {def.disks.map((d) => (
              <tr key={d.id} data-disk={d.id}>
                <td>{d.id}</td>
                <td className="vm-mono">{d.path}</td>
                <td>{d.bus ?? 'virtio'}</td>
                <td>{d.cache ?? 'writeback'}</td>
                <td>
                  <button type="button" className="button" data-method="vm.update" aria-disabled={off} title={`Detaches ${when(false)}; a disk Nova made is deleted`} onClick={() => change('Removing…', { op: 'disk.remove', id: d.id })}>
                    Remove {d.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <ActionForm label="Add a disk" onSubmit={() => change('Adding a disk…', { op: 'disk.add', size: diskSize, bus: diskBus })}>
          <FormField label="New disk size" hint={`A new empty disk, e.g. 8Gi; attached ${when(false)}.`}>
            {(p) => <input {...p} className="vm-input" value={diskSize} onChange={(e) => setDiskSize(e.target.value)} />}
          </FormField>
          <ChoiceField label="Bus" value={diskBus} options={DiskBusSchema.options} onChange={(v) => setDiskBus(v as typeof diskBus)} />
          <Submit label="Add disk" off={off ?? (diskSize.trim() === '' || undefined)} />
        </ActionForm>
      </section>
      <section className="vm-card" aria-labelledby="vm-cds">
        <h2 id="vm-cds" className="vm-card__title">CD drives</h2>
        <ul className="vm-list">
          {drives.map((cd) => (
            <li key={cd.id} data-cd={cd.id}>
              {cd.id}: <span className="vm-mono">{cd.path ?? 'empty'}</span>{' '}
              {cd.path !== null && (
                <button type="button" className="button" data-method="vm.update" aria-disabled={off} title={`Ejects ${when(true)}`} onClick={() => change('Ejecting…', { op: 'cd.eject', drive: cd.id })}>
                  Eject {cd.id}
                </button>
              )}
            </li>
          ))}
        </ul>
        <ActionForm label="Insert a CD" onSubmit={() => change('Inserting…', { op: 'cd.insert', drive: isoDrive, path: isoPath })}>
          <FormField label="ISO file" hint={`Inserted ${when(true)} (into a drive the VM already has).`}>
            {(p) => <input {...p} className="vm-input" value={isoPath} onChange={(e) => setIsoPath(e.target.value)} />}
          </FormField>
          <ChoiceField label="Drive" value={isoDrive} options={['cd0', 'cd1', 'cd2', 'cd3']} onChange={setIsoDrive} />
          <Submit label="Insert" off={off ?? (isoPath.trim() === '' || undefined)} />
        </ActionForm>
      </section>
      <section className="vm-card" aria-labelledby="vm-nic">
        <h2 id="vm-nic" className="vm-card__title">Network interface</h2>
        <p>
          Network: {def.network.mode === 'nova' ? `Nova network ${def.network.network}` : def.network.mode}; MAC: {def.nicMac ?? 'automatic'}
        </p>
        {running && def.network.mode !== 'none' && (
          <div className="vm-wizard__actions">
            <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => change('Unplugging…', { op: 'nic.set', link: 'down' })}>
              Unplug cable ({NOW})
            </button>
            <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => change('Plugging in…', { op: 'nic.set', link: 'up' })}>
              Plug cable in ({NOW})
            </button>
          </div>
        )}
      </section>
      <VmPassedDevices def={def} disabled={busy !== null} when={when(false)} onChange={change} />
    </>
  );
}

function ActionForm({ label, className, onSubmit, children }: { label: string; className?: string; onSubmit: () => void; children: ReactNode }) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className={className} aria-label={label} data-method="vm.update" noValidate onSubmit={submit}>
      {children}
    </form>
  );
}

function ChoiceField({ label, value, options, onChange }: { label: string; value: string; options: readonly string[]; onChange: (value: string) => void }) {
  return (
    <FormField label={label}>
      {(p) => (
        <select {...p} className="vm-input" value={value} onChange={(e) => onChange(e.target.value)}>
          {options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      )}
    </FormField>
  );
}

function Submit({ label, off }: { label: string; off: true | undefined }) {
  return (
    <div className="vm-wizard__actions">
      <button type="submit" className="button" data-method="vm.update" aria-disabled={off}>
        {label}
      </button>
    </div>
  );
}
