// The rest of a VM's passed devices in its hardware settings, beside the PCI devices
// (VmPassedDevices.tsx): what it is given, each named from the host's inventory (USB
// devices, mediated devices, Looking Glass), and the controls that change them through
// vm.update: a mediated device, Looking Glass's resolution and single-GPU mode wait for
// the next start; USB is hot-plugged into a running VM.
import { useState } from 'react';
import type { UsbDevice } from '../../../../src-shared/device.js';
import type { VmDefinition, VmUpdateSpecIn } from '../../../../src-shared/vm.js';
import type { VmDeviceChangeIn } from '../../../../src-shared/vm-devices.js';
import { formatMdevSpec, lookingGlassBytes, parseResolution, usbTargetOf } from '../../../../src-shared/vm-passthrough.js';
import { FormField } from './FormField.js';
import { ActionForm } from './VmActionForm.js';

interface VmPassthroughSettingsProps {
  readonly def: VmDefinition;
  /** The host's USB devices (device.list), to name the VM's; null while read. */
  readonly hostUsb: readonly UsbDevice[] | null;
  readonly disabled: boolean;
  readonly when: string;
  readonly onUpdate: (status: string, spec: Omit<VmUpdateSpecIn, 'name'>, done: string) => void;
}

/** "usb:046d:c52b" as a person reads it: the name the host's usb.ids gives it, when it is plugged in. */
export function usbWords(selector: string, host: readonly UsbDevice[] | null): string {
  const t = usbTargetOf(selector);
  if (t.kind === 'emulated') return `an emulated USB ${t.model}`;
  const d = (host ?? []).find((u) => (t.kind === 'product' ? u.vendorId === t.vendorId && u.productId === t.productId : u.port === `${t.bus}-${t.port}`));
  if (!d) return host === null ? 'a host USB device' : 'a host USB device, not plugged in now';
  return [d.vendorName ?? d.manufacturer, d.productName ?? d.product].filter((x) => x !== null).join(' ') || `USB ${d.vendorId}:${d.productId}`;
}

export function VmPassthroughSettings({ def, hostUsb, disabled, when, onUpdate }: VmPassthroughSettingsProps) {
  const off = disabled ? true : undefined;
  const [parent, setParent] = useState('');
  const [type, setType] = useState('');
  const [resolution, setResolution] = useState(def.lookingGlass?.resolution ?? '');
  const [usbChoice, setUsbChoice] = useState('');
  const change = (status: string, device: VmDeviceChangeIn, done: string) => onUpdate(status, { devices: [device] }, done);
  const usb = def.usb ?? [];
  const mdevs = def.mdevs ?? [];
  const parsed = parseResolution(resolution);
  // The host's devices by vendor:product, and QEMU's emulated tablet; those the VM has are left out.
  const usbChoices = ['usb:tablet', ...(hostUsb ?? []).map((u) => `usb:${u.vendorId}:${u.productId}`)].filter((c, i, all) => !usb.includes(c) && all.indexOf(c) === i);
  return (
    <section className="vm-card" aria-labelledby="vm-passthrough">
      <h2 id="vm-passthrough" className="vm-card__title">
        USB, mediated devices and Looking Glass
      </h2>
      <ul aria-label="Other passed devices">
        {usb.map((s) => (
          <li key={s} data-device={s}>
            <span className="vm-mono">{s}</span>: {usbWords(s, hostUsb)}{' '}
            <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => change(`Removing ${s}…`, { op: 'usb.remove', device: s }, `${s} removed`)}>
              Remove {s}
            </button>
          </li>
        ))}
        {mdevs.map((m, i) => (
          <li key={`${formatMdevSpec(m)}-${i}`} data-device={formatMdevSpec(m)}>
            <span className="vm-mono">{formatMdevSpec(m)}</span>: a mediated device ({m.type}) on the GPU at {m.parent}, made at each start{' '}
            <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => change(`Removing ${m.type}…`, { op: 'mdev.remove', mdev: m }, `${m.type} removed (${when})`)}>
              Remove {m.type}
            </button>
          </li>
        ))}
        {def.lookingGlass && (
          <li data-device="looking-glass">
            Looking Glass: {def.lookingGlass.resolution}, {lookingGlassBytes(def.lookingGlass.resolution) / (1024 * 1024)} MiB of shared memory at /dev/shm/nova-looking-glass-{def.name}
          </li>
        )}
        {usb.length === 0 && mdevs.length === 0 && !def.lookingGlass && <li>None.</li>}
      </ul>
      {def.machine !== 'microvm' && (
        <ActionForm label="Add a USB device" onSubmit={() => usbChoice !== '' && change(`Adding ${usbChoice}…`, { op: 'usb.add', device: usbChoice }, `${usbChoice} added`)}>
          <FormField label="USB device" hint="Plugged in at once when the VM runs, else at its start.">
            {(p) => (
              <select {...p} className="vm-input" data-method="device.list" value={usbChoice} onChange={(e) => setUsbChoice(e.target.value)}>
                <option value="">Choose a device</option>
                {usbChoices.map((c) => (
                  <option key={c} value={c}>
                    {c}: {usbWords(c, hostUsb)}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <div className="vm-wizard__actions">
            <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? (usbChoice === '' || undefined)}>
              Add USB device
            </button>
          </div>
        </ActionForm>
      )}
      <ActionForm label="Add a mediated device" onSubmit={() => change('Adding a mediated device…', { op: 'mdev.add', mdev: { parent, type } }, `${type} added (${when})`)}>
        <FormField label="Parent GPU" hint="Its PCI address, e.g. 0000:00:02.0 (the Devices page lists GPUs with mediated device types).">
          {(p) => <input {...p} className="vm-input" value={parent} onChange={(e) => setParent(e.target.value)} />}
        </FormField>
        <FormField label="Type" hint={`As its mdev_supported_types names it, e.g. i915-GVTg_V5_4; made ${when}.`}>
          {(p) => <input {...p} className="vm-input" value={type} onChange={(e) => setType(e.target.value)} />}
        </FormField>
        <div className="vm-wizard__actions">
          <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? ((parent.trim() === '' || type.trim() === '') || undefined)}>
            Add mediated device
          </button>
        </div>
      </ActionForm>
      <ActionForm label="Looking Glass" onSubmit={() => parsed.ok && change('Saving Looking Glass…', { op: 'lookingGlass.set', resolution }, `Looking Glass set to ${resolution} (${when})`)}>
        <FormField label="Resolution" hint={parsed.ok ? `${lookingGlassBytes(`${parsed.value.width}x${parsed.value.height}`) / (1024 * 1024)} MiB of shared memory; ${when}.` : 'WIDTHxHEIGHT of the guest display, e.g. 2560x1440.'}>
          {(p) => <input {...p} className="vm-input" value={resolution} onChange={(e) => setResolution(e.target.value)} />}
        </FormField>
        <div className="vm-wizard__actions">
          <button type="submit" className="button" data-method="vm.update" aria-disabled={off ?? (!parsed.ok || undefined)}>
            Set Looking Glass
          </button>
          {def.lookingGlass && (
            <button type="button" className="button" data-method="vm.update" aria-disabled={off} onClick={() => change('Turning Looking Glass off…', { op: 'lookingGlass.set', resolution: null }, `Looking Glass off (${when})`)}>
              Turn Looking Glass off
            </button>
          )}
        </div>
      </ActionForm>
      <p>
        Single-GPU mode: {def.singleGpu === true ? 'on (the boot GPU may be passed; the host screen is dark while the VM runs)' : 'off (the boot GPU is refused)'}{' '}
        <button
          type="button"
          className="button"
          data-method="vm.update"
          aria-disabled={off}
          onClick={() => onUpdate('Saving single-GPU mode…', { singleGpu: def.singleGpu !== true }, `Single-GPU mode ${def.singleGpu === true ? 'off' : 'on'} (${when})`)}
        >
          {def.singleGpu === true ? 'Turn single-GPU mode off' : 'Turn single-GPU mode on'}
        </button>
      </p>
    </section>
  );
}
