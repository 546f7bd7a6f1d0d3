// A VM's USB side of QEMU's command line, pure and golden-tested through qemu-argv.ts:
// one qemu-xhci controller (its ports take USB 1 to 3 devices alike), the definition's
// devices on it, and for a SPICE display the usb-redir channels remote-viewer redirects
// a client's device through. Hot-plug (usb-hotplug.ts) adds the same devices by QMP
// with the same ids, so a device plugged at start and one plugged live detach alike.
import { usbDeviceId, usbTargetOf } from '../../../src-shared/vm-passthrough.js';

/** The controller's QEMU id; devices name its bus as `usb-xhci.0`. */
export const USB_CONTROLLER_ID = 'usb-xhci';
export const USB_BUS = `${USB_CONTROLLER_ID}.0`;
/** Redirection channels for a SPICE client: two, as virt-manager gives, so a keyboard and a stick can both go over. */
export const SPICE_USB_REDIR_CHANNELS = 2;

/** QEMU's device properties for one selector, typed as QMP's device_add wants them (usb-hotplug.ts); -device writes the same. */
export function usbDeviceProps(selector: string): Record<string, string | number> {
  const target = usbTargetOf(selector);
  const base = { id: usbDeviceId(selector), bus: USB_BUS };
  switch (target.kind) {
    case 'product':
      return { driver: 'usb-host', ...base, vendorid: parseInt(target.vendorId, 16), productid: parseInt(target.productId, 16) };
    case 'port':
      return { driver: 'usb-host', ...base, hostbus: target.bus, hostport: target.port };
    case 'emulated':
      return { driver: `usb-${target.model}`, ...base };
  }
}

const HEX_PROPS = new Set(['vendorid', 'productid']);

/** "usb-host,id=...,bus=...,vendorid=..." from the same properties. */
function deviceOption(props: Record<string, string | number>): string {
  const { driver, ...rest } = props;
  // IDs in hex, as lsusb and the selector write them.
  const shown = (k: string, v: string | number) => (HEX_PROPS.has(k) && typeof v === 'number' ? `0x${v.toString(16).padStart(4, '0')}` : String(v));
  return [String(driver), ...Object.entries(rest).map(([k, v]) => `${k}=${shown(k, v)}`)].join(',');
}

/**
 * Nothing for a definition that never had USB (records from before it, microvms): their
 * command line stays as it was. Otherwise the controller, the devices, and with SPICE
 * the redirection channels.
 */
export function usbArgs(def: { usb?: readonly string[]; display: { spice: boolean } }, micro: boolean): string[] {
  if (micro || (def.usb === undefined && !def.display.spice)) return [];
  const args = ['-device', `qemu-xhci,id=${USB_CONTROLLER_ID},p2=8,p3=8`];
  for (const selector of def.usb ?? []) args.push('-device', deviceOption(usbDeviceProps(selector)));
  if (def.display.spice) {
    for (let i = 0; i < SPICE_USB_REDIR_CHANNELS; i++) {
      args.push('-chardev', `spicevmc,id=usbredirchardev${i},name=usbredir`);
      args.push('-device', `usb-redir,chardev=usbredirchardev${i},id=usbredir${i},bus=${USB_BUS}`);
    }
  }
  return args;
}
