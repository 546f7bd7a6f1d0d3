// How a VM is networked, as `nova vm create --network` and the create wizard write it:
// "none", "user" (QEMU's restricted user-mode stack) or "nova:NAME" (a Nova network).
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { parseName } from './resource-name.js';

export type VmNetworkChoice = 'none' | 'user' | { nova: string };

export function parseVmNetworkChoice(text: string): Parsed<VmNetworkChoice> {
  if (text === 'none' || text === 'user') return ok(text);
  if (text.startsWith('nova:')) {
    const name = parseName('network', text.slice('nova:'.length));
    return name.ok ? ok({ nova: name.value }) : name;
  }
  return fail(`${describeValue(text)} is not a VM network; use none, user or nova:NAME (a Nova network, see nova net ls)`);
}

export function formatVmNetworkChoice(choice: VmNetworkChoice): string {
  return typeof choice === 'string' ? choice : `nova:${choice.nova}`;
}
