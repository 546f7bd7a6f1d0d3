// A PCI address for passthrough, as `lspci -D` prints it.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

/** "0000:01:00.0" or the short "01:00.0"; returned in sysfs's full lowercase form. */
export function parsePciAddress(text: string): Parsed<string> {
  const match = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\.([0-7])$/.exec(text);
  if (!match) {
    return fail(`${describeValue(text)} is not a PCI address; use domain:bus:device.function as "lspci -D" prints it (e.g. "0000:01:00.0")`);
  }
  const [, domain = '0000', bus = '', device = '', fn = ''] = match;
  return ok(`${domain}:${bus}:${device}.${fn}`.toLowerCase());
}
