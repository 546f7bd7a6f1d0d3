// The create wizard: name and OS, where the VM boots from (installer ISO, existing
// disk, cloud image or a kernel for direct boot), then CPU, memory, disk, firmware and
// accelerator, and the network (none, user-mode, or a Nova network from network.list).
// Fields are checked as you type with the contract's schemas; Create is refused while
// anything is wrong or while a create is already on its way.
import { ArrowLeft } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { VmCreateSpecSchema } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { ResourceOperations } from '../../components/ResourceOperations.js';
import { EMPTY_FORM, SOURCE_FIELDS, toSpec, validateForm, withDetectedOs, type VmCreateField, type VmCreateForm, type VmSource } from '../../lib/vm-create-form.js';
import { vmHref } from '../../lib/vm-route.js';
import { focusFirstInvalid } from '../../lib/focus-first-invalid.js';
import { LibraryImagePicker } from '../images/LibraryImagePicker.js';
import { FormField } from './FormField.js';
import { useVmStore } from './vm-context.js';

const SOURCES: Array<{ id: VmSource; label: string; hint: string }> = [
  { id: 'iso', label: 'Install from ISO', hint: 'Boot an installer ISO with a new empty disk.' },
  { id: 'disk', label: 'Existing disk', hint: 'Boot a disk image you already have (qcow2 or raw).' },
  { id: 'cloud', label: 'Cloud image', hint: 'A Debian or Ubuntu cloud image, set up by a cloud-init seed.' },
  { id: 'kernel', label: 'Kernel (direct boot)', hint: 'Boot a Linux kernel and initrd directly: fast, light guests (q35 or microvm).' },
];

export function VmCreateWizard() {
  const { client } = useServices();
  const store = useVmStore();
  const [form, setForm] = useState<VmCreateForm>(EMPTY_FORM);
  const [touched, setTouched] = useState<Set<VmCreateField>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  /** The VM being created: its operation shows here, with its progress and Cancel. */
  const [creating, setCreating] = useState<string | null>(null);
  const [failure, setFailure] = useState<ErrorShape | null>(null);
  const errors = useMemo(() => validateForm(form), [form]);
  const vms = useStore(store, (s) => s.vms);
  const nameTaken = vms?.some((v) => v.definition.name === form.name.trim()) ? 'a VM with this name exists already' : undefined;
  const shown = new Set(SOURCE_FIELDS[form.source]);
  const [networks, setNetworks] = useState<string[] | null>(null);
  const [networksFailure, setNetworksFailure] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    client.call('network.list', {}).then(
      ({ networks: list }) => live && setNetworks(list.map((n) => n.name).sort()),
      (err: unknown) => live && setNetworksFailure(toErrorShape(err).message),
    );
    return () => {
      live = false;
    };
  }, [client]);

  // osinfo's verdict on the picked ISO fills the OS type and resources, as virt-manager does.
  const [detected, setDetected] = useState<string | null>(null);
  const detectOs = (path: string) => {
    if (!path.trim().startsWith('/')) return;
    client.call('image.detectOs', { path: path.trim() }).then(
      (profile) => {
        setDetected(profile ? `Detected ${profile.name}: OS type, CPUs, memory and disk filled in from osinfo${profile.os === 'windows11' ? ', with Secure Boot and a TPM' : ''}` : 'osinfo does not recognise this ISO');
        if (profile) setForm((f) => withDetectedOs(f, profile, touched));
        else setForm((f) => ({ ...f, os: '' }));
      },
      (err: unknown) => setDetected(`OS detection failed: ${toErrorShape(err).message}`),
    );
  };

  const set = <K extends VmCreateField>(key: K, value: VmCreateForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setTouched((t) => new Set(t).add(key));
  };
  const errorOf = (field: VmCreateField): string | undefined =>
    submitted || touched.has(field) ? (field === 'name' ? (errors.name ?? nameTaken) : errors[field]) : undefined;
  const text = (field: VmCreateField, extra: { placeholder?: string; inputMode?: 'numeric' } = {}) => (p: object) => (
    <input {...p} {...extra} className="vm-input" value={String(form[field])} onChange={(e) => set(field, e.target.value as never)} spellCheck={false} />
  );

  const visibleErrors = (Object.keys(errors) as VmCreateField[]).filter((f) => f === 'name' || f === 'osType' || f === 'cpus' || f === 'memory' || f === 'accel' || f === 'network' || f === 'description' || shown.has(f));
  const invalid = visibleErrors.length > 0 || Boolean(nameTaken);

  const submit = async () => {
    setSubmitted(true);
    if (invalid || creating) return;
    setFailure(null);
    try {
      const spec = VmCreateSpecSchema.parse(toSpec(form));
      setCreating(spec.name);
      await client.call('vm.create', spec);
      await store.getState().load();
      window.location.hash = vmHref({ kind: 'vm', name: spec.name, tab: 'overview' });
    } catch (err) {
      const error = toErrorShape(err);
      // A cancel was asked for here, and its card says how it ended.
      if (error.code !== 'cancelled') setFailure(error);
    } finally {
      setCreating(null);
    }
  };

  return (
    <>
      <PageHeader
        title="New virtual machine"
        subtitle="Paths are on the host and must sit inside the helper's allowed roots."
        actions={
          <a className="button" href={vmHref({ kind: 'list' })}>
            <ArrowLeft aria-hidden="true" size={14} />
            Back to the list
          </a>
        }
      />
      <form
        className="page-body vm-wizard"
        aria-label="New virtual machine"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (invalid) focusFirstInvalid(e.currentTarget);
          void submit();
        }}
      >
        <fieldset className="vm-wizard__section">
          <legend>1 · Name and system</legend>
          <div className="vm-form-grid">
            <FormField label="Name" error={errorOf('name')} hint="Lowercase letters, digits and -, up to 63 characters.">
              {text('name', { placeholder: 'e.g. web1' })}
            </FormField>
            <FormField label="OS type" error={errorOf('osType')}>
              {(p) => (
                <select {...p} className="vm-input" value={form.osType} onChange={(e) => set('osType', e.target.value as VmCreateForm['osType'])}>
                  <option value="linux">Linux</option>
                  <option value="windows">Windows</option>
                  <option value="other">Other</option>
                </select>
              )}
            </FormField>
            <FormField label="Description" error={errorOf('description')}>
              {text('description', { placeholder: 'optional' })}
            </FormField>
          </div>
        </fieldset>

        <fieldset className="vm-wizard__section">
          <legend>2 · Boot source</legend>
          <div className="source-choice" role="radiogroup" aria-label="Boot source">
            {SOURCES.map((s) => (
              <label key={s.id} className={`source-choice__item${form.source === s.id ? ' source-choice__item--on' : ''}`}>
                <input type="radio" name="source" value={s.id} checked={form.source === s.id} onChange={() => set('source', s.id)} />
                <span className="source-choice__label">{s.label}</span>
                <span className="source-choice__hint">{s.hint}</span>
              </label>
            ))}
          </div>
          <div className="vm-form-grid">
            {shown.has('iso') && (
              <FormField label="Installer ISO" error={errorOf('iso')} hint={detected ?? 'The OS on it is detected when you pick it.'}>
                {(p) => (
                  <LibraryImagePicker
                    field={p}
                    label="Installer ISO"
                    type="iso"
                    value={form.iso}
                    placeholder="/var/lib/nova/images/debian.iso"
                    onChange={(path) => set('iso', path)}
                    onSettled={detectOs}
                    settledMethod="image.detectOs"
                  />
                )}
              </FormField>
            )}
            {shown.has('driverIso') && (
              <FormField label="Driver ISO" error={errorOf('driverIso')} hint="optional: virtio-win, in a second CD drive; Windows then gets a virtio disk">
                {(p) => (
                  <LibraryImagePicker field={p} label="Driver ISO" type="iso" optional="None" value={form.driverIso} placeholder="/var/lib/nova/images/virtio-win.iso" onChange={(path) => set('driverIso', path)} />
                )}
              </FormField>
            )}
            {shown.has('image') && (
              <FormField label="Disk image" error={errorOf('image')}>
                {(p) => <LibraryImagePicker field={p} label="Disk image" type="disk" value={form.image} placeholder="/path/to/disk.qcow2" onChange={(path) => set('image', path)} />}
              </FormField>
            )}
            {shown.has('linkedImage') && (
              <label className="vm-check">
                <input type="checkbox" checked={form.linkedImage} onChange={(e) => set('linkedImage', e.target.checked)} />
                Keep the image untouched (a linked overlay on top of it)
              </label>
            )}
            {shown.has('cloudHostname') && <FormField label="Host name" error={errorOf('cloudHostname')} hint="cloud-init sets it in the guest.">{text('cloudHostname', { placeholder: 'optional' })}</FormField>}
            {shown.has('cloudUser') && <FormField label="Cloud user" error={errorOf('cloudUser')} hint="Created with sudo rights.">{text('cloudUser', { placeholder: 'optional' })}</FormField>}
            {shown.has('cloudPassword') && (
              <FormField label="Cloud password" error={errorOf('cloudPassword')}>
                {(p) => <input {...p} type="password" className="vm-input" value={form.cloudPassword} onChange={(e) => set('cloudPassword', e.target.value)} autoComplete="new-password" />}
              </FormField>
            )}
            {shown.has('cloudSshKeys') && (
              <FormField label="SSH public keys" error={errorOf('cloudSshKeys')} hint="One per line, as in authorized_keys. The password is stored only as a hash.">
                {(p) => <textarea {...p} className="vm-input" rows={3} value={form.cloudSshKeys} onChange={(e) => set('cloudSshKeys', e.target.value)} spellCheck={false} placeholder="ssh-ed25519 AAAA… you@host" />}
              </FormField>
            )}
            {shown.has('kernel') && (
              <FormField label="Kernel" error={errorOf('kernel')} hint="A bzImage or vmlinux from the library (import it on the Images page).">
                {(p) => <LibraryImagePicker field={p} label="Kernel" type="kernel" value={form.kernel} placeholder="/path/to/vmlinux" onChange={(path) => set('kernel', path)} />}
              </FormField>
            )}
            {shown.has('initrd') && (
              <FormField label="Initrd" error={errorOf('initrd')} hint="optional">
                {(p) => <LibraryImagePicker field={p} label="Initrd" type="initrd" value={form.initrd} placeholder="/path/to/initrd.img" onChange={(path) => set('initrd', path)} />}
              </FormField>
            )}
            {shown.has('cmdline') && (
              <FormField label="Kernel command line" error={errorOf('cmdline')} hint="console=tty0 shows the boot on the graphical console, console=ttyS0 on the serial one.">
                {text('cmdline')}
              </FormField>
            )}
            {shown.has('machine') && (
              <FormField label="Machine" error={errorOf('machine')} hint="microvm starts fastest but has no graphical console.">
                {(p) => (
                  <select {...p} className="vm-input" value={form.machine} onChange={(e) => set('machine', e.target.value as VmCreateForm['machine'])}>
                    <option value="q35">q35 (any OS, graphical console)</option>
                    <option value="microvm">microvm (Linux, serial only)</option>
                  </select>
                )}
              </FormField>
            )}
          </div>
        </fieldset>

        <fieldset className="vm-wizard__section">
          <legend>3 · Resources</legend>
          <div className="vm-form-grid">
            <FormField label="CPUs" error={errorOf('cpus')}>{text('cpus', { inputMode: 'numeric' })}</FormField>
            <FormField label="Memory" error={errorOf('memory')} hint="e.g. 512Mi, 2Gi or 2g; a bare number is MiB">{text('memory')}</FormField>
            {shown.has('diskSize') && (
              <FormField label="New disk size" error={errorOf('diskSize')} hint={form.source === 'kernel' ? 'optional: leave empty for no disk' : 'e.g. 20Gi or 20g'}>
                {text('diskSize')}
              </FormField>
            )}
            {shown.has('firmware') && (
              <FormField label="Firmware" error={errorOf('firmware')}>
                {(p) => (
                  <select {...p} className="vm-input" value={form.firmware} onChange={(e) => set('firmware', e.target.value as VmCreateForm['firmware'])}>
                    <option value="bios">BIOS (SeaBIOS)</option>
                    <option value="uefi">UEFI (OVMF)</option>
                    <option value="uefi-secure">UEFI with Secure Boot</option>
                  </select>
                )}
              </FormField>
            )}
            <FormField label="Accelerator" error={errorOf('accel')} hint="auto: KVM where the Host page found it usable, TCG otherwise.">
              {(p) => (
                <select {...p} className="vm-input" value={form.accel} onChange={(e) => set('accel', e.target.value as VmCreateForm['accel'])}>
                  <option value="auto">Automatic</option>
                  <option value="kvm">KVM</option>
                  <option value="tcg">TCG (emulation)</option>
                </select>
              )}
            </FormField>
            <FormField
              label="Network"
              error={errorOf('network')}
              hint={networksFailure ? `Nova networks could not be listed: ${networksFailure}` : networks?.length === 0 ? 'No Nova networks yet: create one on the Networks page.' : undefined}
            >
              {(p) => (
                <select {...p} className="vm-input" value={form.network} onChange={(e) => set('network', e.target.value)}>
                  <option value="none">No network</option>
                  <option value="user">User-mode (isolated)</option>
                  {networks && networks.length > 0 && (
                    <optgroup label="Nova networks">
                      {networks.map((n) => (
                        <option key={n} value={`nova:${n}`}>
                          {n}
                        </option>
                      ))}
                    </optgroup>
                  )}
                </select>
              )}
            </FormField>
          </div>
        </fieldset>

        {failure && <ErrorPanel context={`Could not create ${form.name.trim() || 'the VM'}`} error={failure} />}
        {submitted && invalid && (
          <p className="vm-form-summary" role="alert">
            Fix the {visibleErrors.length + (nameTaken ? 1 : 0) === 1 ? 'field' : 'fields'} marked above to create the VM.
          </p>
        )}
        <div className="vm-wizard__actions">
          <button type="submit" className="button button--primary" data-method="vm.create" aria-disabled={creating !== null || undefined}>
            {creating ? 'Creating…' : 'Create VM'}
          </button>
        </div>
        {creating && <ResourceOperations resource={{ kind: 'vm', name: creating }} label={`Creation of ${creating}`} />}
      </form>
    </>
  );
}
