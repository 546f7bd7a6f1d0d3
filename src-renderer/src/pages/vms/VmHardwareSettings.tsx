// A VM's hardware in its Settings tab: CPUs and memory, disks, CD drives, the NIC and passed PCI devices,
// each change one vm.update call and a toast when done. Every control says when it takes
// effect: CD media, a disk's growth and the NIC's link now on a running VM, everything
// else at the next boot, and what is still waiting is listed as pending. After an ISO
// install the helper offers to eject the CD; a banner here does it in one click. The
// QEMU command line the next start would run closes the tab.
import { useState } from 'react';
import { useStore } from 'zustand';
import type { VmInfo, VmUpdateSpecIn } from '../../../../src-shared/vm.js';
import { DiskBusSchema, type VmDeviceChangeIn } from '../../../../src-shared/vm-devices.js';
import { useServices } from '../../app/services.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { errorWords } from '../../lib/error-words.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { announce } from '../../stores/toast-store.js';
import { FormField } from './FormField.js';
import { ActionForm } from './VmActionForm.js';
import { VmDiskRow } from './VmDiskRow.js';
import { VmNicSettings } from './VmNicSettings.js';
import { VmPassedDevices } from './VmPassedDevices.js';
import { VmPassthroughSettings } from './VmPassthroughSettings.js';
import { useHostDevices } from './use-host-devices.js';
import { VmQemuCommand } from './VmQemuCommand.js';
import { useVmStore } from './vm-context.js';

const NOW = 'now';
const NEXT_BOOT = 'at the next boot';

export function VmHardwareSettings({ vm, busy }: { vm: VmInfo; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useVmStore();
  const failure = useStore(store, (s) => s.failures[vm.definition.name]);
  const { confirm, dialog } = useConfirm();
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
  const host = useHostDevices();

  const update = (status: string, spec: Omit<VmUpdateSpecIn, 'name'>, done?: string) => {
    if (busy) return;
    void store
      .getState()
      .run(name, status, () => client.call('vm.update', { name, ...spec }))
      .then((ok) => ok && done !== undefined && announce(done));
  };
  const change = (status: string, device: VmDeviceChangeIn, done?: string) => update(status, { devices: [device] }, done);
  const when = (live: boolean) => (running ? (live ? NOW : NEXT_BOOT) : 'when it starts');
  const drives = [...(def.iso !== null ? [{ id: 'cd0', path: def.iso }] : []), ...(def.cdroms ?? [])];
  // The helper's refusal of a resize (a shrink, say) belongs beside that disk's size field.
  const resizeError = (id: string) => (failure?.what === `Resizing ${id}` ? errorWords(failure.error).sentence : null);
  const removeDrive = async (id: string) => {
    const yes = await confirm({
      title: `Remove drive ${id}?`,
      body: <p>{`The drive ${id} itself goes from ${name} (not only its media); the ISO file stays where it is.`}</p>,
      confirmLabel: `Remove ${id}`,
      confirmMethod: 'vm.update',
    });
    if (yes) change(`Removing ${id}…`, { op: 'cd.remove', drive: id }, `Drive ${id} removed`);
  };

  return (
    <>
      {vm.ejectSuggested && (
        <div className="vm-card vm-banner" role="status" aria-label="Install finished">
          <p>The install finished and the guest restarted. Eject the CD so {name} boots from its disk.</p>
          <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => change('Ejecting…', { op: 'cd.eject', drive: 'cd0' }, 'CD ejected')}>
            Eject the CD
          </button>
        </div>
      )}
      {(vm.pendingChanges ?? []).length > 0 && (
        <div className="vm-card vm-banner" role="status" aria-label="Pending changes">
          <p>Pending until the next boot: {(vm.pendingChanges ?? []).join('; ')}</p>
        </div>
      )}
      <ActionForm className="vm-card" label="Resources" onSubmit={() => update('Saving…', { cpus: Number(cpus), memory }, `Resources saved (${when(false)})`)}>
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
              <th>Grow</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {def.disks.map((d) => (
              <VmDiskRow key={d.id} disk={d} off={off} whenNext={when(false)} resizeError={resizeError(d.id)} onChange={change} />
            ))}
          </tbody>
        </table>
        <ActionForm label="Add a disk" onSubmit={() => change('Adding a disk…', { op: 'disk.add', size: diskSize, bus: diskBus }, `Disk added (${when(false)})`)}>
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
                <button type="button" className="button" data-method="vm.update" aria-disabled={off} title={`Ejects ${when(true)}`} onClick={() => change('Ejecting…', { op: 'cd.eject', drive: cd.id }, `${cd.id} ejected`)}>
                  Eject {cd.id}
                </button>
              )}{' '}
              {cd.id !== 'cd0' && !running && (
                <button type="button" className="button" data-method="vm.update" aria-disabled={off} title="Removes the drive itself (a stopped VM)" onClick={() => void removeDrive(cd.id)}>
                  Remove drive {cd.id}
                </button>
              )}
            </li>
          ))}
        </ul>
        <ActionForm label="Insert a CD" onSubmit={() => change('Inserting…', { op: 'cd.insert', drive: isoDrive, path: isoPath }, `${isoDrive} holds ${isoPath}`)}>
          <FormField label="ISO file" hint={`Inserted ${when(true)} (into a drive the VM already has).`}>
            {(p) => <input {...p} className="vm-input" value={isoPath} onChange={(e) => setIsoPath(e.target.value)} />}
          </FormField>
          <ChoiceField label="Drive" value={isoDrive} options={['cd0', 'cd1', 'cd2', 'cd3']} onChange={setIsoDrive} />
          <Submit label="Insert" off={off ?? (isoPath.trim() === '' || undefined)} />
        </ActionForm>
      </section>
      <VmNicSettings def={def} running={running} off={off} whenNext={when(false)} onChange={change} />
      <VmPassedDevices def={def} hostPci={host?.pci ?? null} disabled={busy !== null} when={when(false)} onChange={change} />
      <VmPassthroughSettings def={def} hostUsb={host?.usb ?? null} disabled={busy !== null} when={when(false)} onUpdate={update} />
      <VmQemuCommand name={name} />
      {dialog}
    </>
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
