// A Linux network interface name (the kernel's dev_valid_name): a host uplink, a guest's
// interface inside a capsule.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export const IFNAME_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9_.@-]{1,15}$/;

export function parseInterfaceName(text: string): Parsed<string> {
  if (IFNAME_PATTERN.test(text)) return ok(text);
  return fail(
    `${describeValue(text)} is not a network interface name; Linux names are 1-15 characters without "/", ":" or spaces (e.g. "enp6s0")`,
  );
}
