// A USB device as a person names it for a VM: "usb:046d:c52b" (vendor:product, as lsusb
// prints it), "usb:1-1.2" (the device on that host port, as /sys/bus/usb/devices names
// it, whatever is plugged there), or "usb:tablet" (QEMU's emulated absolute pointer).
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export const USB_EMULATED_MODELS = ['tablet', 'keyboard', 'mouse'] as const;

/** The canonical lowercase text: "usb:046d:c52b", "usb:1-1.2", "usb:tablet". */
export function parseUsbSelector(text: string): Parsed<string> {
  const body = /^usb:(.+)$/i.exec(text.trim())?.[1];
  if (body !== undefined) {
    const product = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(body);
    if (product) return ok(`usb:${product[1]}:${product[2]}`.toLowerCase());
    const port = /^([1-9][0-9]{0,2})-([1-9][0-9]?(?:\.[1-9][0-9]?){0,5})$/.exec(body);
    if (port) return ok(`usb:${Number(port[1])}-${port[2]}`);
    const model = body.toLowerCase();
    if ((USB_EMULATED_MODELS as readonly string[]).includes(model)) return ok(`usb:${model}`);
  }
  return fail(
    `${describeValue(text)} is not a USB device; write "usb:VENDOR:PRODUCT" as lsusb prints it (e.g. "usb:046d:c52b"), ` +
      `"usb:BUS-PORT" for whatever is plugged into a host port (e.g. "usb:1-1.2"), or "usb:tablet"`,
  );
}
