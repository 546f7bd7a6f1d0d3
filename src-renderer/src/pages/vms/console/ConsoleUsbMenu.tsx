// The console window's USB menu: the VM's USB devices and the host's it could be given,
// each a click away from being plugged into the running guest or taken out of it
// (vm.usbAttach / vm.usbDetach hot-plug through QMP), plus QEMU's emulated tablet, which
// keeps the pointer in step over VNC. Refusals are said in words, in the menu.
import { Usb } from 'lucide-react';
import { useState } from 'react';
import type { UsbDevice } from '../../../../../src-shared/device.js';
import type { VmUsbEntry } from '../../../../../src-shared/api/vm-usb-api.js';
import { toErrorShape } from '../../../../../src-shared/errors.js';
import { errorWords } from '../../../lib/error-words.js';
import type { NovaClient } from '../../../transport/nova-client.js';

interface UsbList {
  devices: VmUsbEntry[];
  available: UsbDevice[];
}

function hostName(d: UsbDevice): string {
  const named = [d.vendorName ?? d.manufacturer, d.productName ?? d.product].filter((s) => s !== null).join(' ');
  return `${named || 'Unknown device'} (${d.vendorId}:${d.productId})`;
}

export function ConsoleUsbMenu({ client, name, disabled }: { client: NovaClient; name: string; disabled: boolean }) {
  const [open, setOpen] = useState(false);
  const [list, setList] = useState<UsbList | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = async () => {
    try {
      setList(await client.call('vm.usbList', { name }));
      setProblem(null);
    } catch (err) {
      setProblem(errorWords(toErrorShape(err)).sentence);
    }
  };

  const toggle = () => {
    if (disabled) return;
    if (!open) void refresh();
    setOpen((o) => !o);
  };

  const change = async (method: 'vm.usbAttach' | 'vm.usbDetach', device: string) => {
    setBusy(true);
    try {
      await client.call(method, { name, device });
      await refresh();
    } catch (err) {
      setProblem(errorWords(toErrorShape(err)).sentence);
    } finally {
      setBusy(false);
    }
  };

  const has = new Set(list?.devices.map((d) => d.device) ?? []);
  const items: Array<{ key: string; label: string; method: 'vm.usbAttach' | 'vm.usbDetach'; device: string }> = [
    ...(list?.devices ?? []).map((d) => ({ key: d.device, label: `Detach ${d.host ? hostName(d.host) : d.device === 'usb:tablet' ? 'Tablet (emulated)' : d.device}`, method: 'vm.usbDetach' as const, device: d.device })),
    ...(list?.available ?? []).map((d) => ({ key: d.port, label: `Attach ${hostName(d)}`, method: 'vm.usbAttach' as const, device: `usb:${d.vendorId}:${d.productId}` })),
    ...(has.has('usb:tablet') ? [] : [{ key: 'tablet', label: 'Attach Tablet (emulated)', method: 'vm.usbAttach' as const, device: 'usb:tablet' }]),
  ];

  return (
    <div className="console__menu">
      {/* The menu it opens attaches and detaches: the one entry point to both, for the parity table. */}
      <button type="button" className="button vm-btn-sm" aria-haspopup="menu" aria-expanded={open} aria-disabled={disabled || undefined} onClick={toggle} data-method="vm.usbList vm.usbAttach vm.usbDetach">
        <Usb aria-hidden="true" size={13} />
        USB
      </button>
      {open && (
        <ul className="console__menu-list" role="menu" aria-label="USB devices" aria-busy={busy || undefined} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          {list === null && problem === null && <li role="none" className="console__menu-note">Reading the USB devices…</li>}
          {items.map((item) => (
            <li key={`${item.method}-${item.key}`} role="none">
              <button type="button" role="menuitem" className="console__menu-item" data-method={item.method} aria-disabled={busy || undefined} onClick={() => !busy && void change(item.method, item.device)}>
                {item.label}
              </button>
            </li>
          ))}
          {problem !== null && (
            <li role="alert" className="console__menu-note">
              {problem}
            </li>
          )}
        </ul>
      )}
    </div>
  );
}
