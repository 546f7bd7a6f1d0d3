// `nova connect --console vnc|serial|spice VM`: the remote end of a remote VM's console, a second
// `ssh HOST` channel beside the helper's. The helper says where the console is (vm.consoleInfo,
// authorized as any call of this user), then stdin/stdout carry its bytes. A key pinned with
// `command="nova connect"` runs that command whatever the client asked; the request then
// arrives in SSH_ORIGINAL_COMMAND and is taken only in exactly this form.
import { NovaError } from '../../../src-shared/index.js';
import { VM_NAME_PATTERN } from '../../../src-shared/vm.js';
import type { HelperClient } from '../../core/helper-client.js';

export type ConsoleRequest = { kind: 'vnc' | 'serial' | 'spice'; name: string };

const ORIGINAL = /^nova connect --console (vnc|serial|spice) (\S+)$/;

/** The console asked for, from --console and its VM, or from a pinned key's original command. */
export function consoleRequest(option: string | undefined, vm: string | undefined, env: NodeJS.ProcessEnv): ConsoleRequest | null {
  if (option === undefined) {
    const match = ORIGINAL.exec(env.SSH_ORIGINAL_COMMAND?.trim() ?? '');
    if (!match) return null;
    return checked(match[1], match[2]);
  }
  return checked(option, vm);
}

function checked(kind: string | undefined, name: string | undefined): ConsoleRequest {
  if (kind !== 'vnc' && kind !== 'serial' && kind !== 'spice') throw new NovaError('invalid_argument', '--console takes vnc, serial or spice');
  if (!name || !VM_NAME_PATTERN.test(name)) throw new NovaError('invalid_argument', '--console needs the VM\'s name: nova connect --console vnc NAME');
  return { kind, name };
}

/** The console's unix socket on this host, as the helper knows it. */
export async function consoleSocketPath(helper: Pick<HelperClient, 'call'>, request: ConsoleRequest): Promise<string> {
  const info = await helper.call('vm.consoleInfo', { name: request.name });
  const path = request.kind === 'vnc' ? info.vnc?.socket : request.kind === 'spice' ? info.spice?.socket : info.serialSocket;
  if (!path) {
    const display = request.kind === 'spice' ? 'SPICE' : 'VNC';
    throw new NovaError('failed_precondition', `${request.name} has no ${display} display: give it one in its settings and restart it`);
  }
  return path;
}
