// `nova connect --console vnc|serial|spice VM` and `--console terminal CAPSULE`: the remote
// end of a remote guest's console, a second `ssh HOST` channel beside the helper's. The
// helper says where the console is (vm.consoleInfo, or a fresh capsule.terminalOpen),
// authorized as any call of this user, then stdin/stdout carry its bytes. A key pinned with
// `command="nova connect"` runs that command whatever the client asked; the request then
// arrives in SSH_ORIGINAL_COMMAND and is taken only in exactly this form.
import { NovaError } from '../../../src-shared/index.js';
import { CAPSULE_NAME_PATTERN } from '../../../src-shared/capsule.js';
import { VM_NAME_PATTERN } from '../../../src-shared/vm.js';
import type { HelperClient } from '../../core/helper-client.js';

export type ConsoleRequest = { kind: 'vnc' | 'serial' | 'spice' | 'terminal'; name: string };

/** Where the bytes go, and for a serial console the log whose tail is replayed first. */
export interface ConsoleTargetPath {
  socketPath: string;
  replayLog?: string;
}

const ORIGINAL = /^nova connect --console (vnc|serial|spice|terminal) (\S+)$/;
/** The capsule shell's first size; the caller's terminal sends its own at once, in-band. */
const TERMINAL_START_SIZE = { cols: 80, rows: 24 };

/** The console asked for, from --console and its guest, or from a pinned key's original command. */
export function consoleRequest(option: string | undefined, guest: string | undefined, env: NodeJS.ProcessEnv): ConsoleRequest | null {
  if (option === undefined) {
    const match = ORIGINAL.exec(env.SSH_ORIGINAL_COMMAND?.trim() ?? '');
    if (!match) return null;
    return checked(match[1], match[2]);
  }
  return checked(option, guest);
}

function checked(kind: string | undefined, name: string | undefined): ConsoleRequest {
  if (kind === 'terminal') {
    if (!name || !CAPSULE_NAME_PATTERN.test(name)) throw new NovaError('invalid_argument', "--console terminal needs the capsule's name: nova connect --console terminal NAME");
    return { kind, name };
  }
  if (kind !== 'vnc' && kind !== 'serial' && kind !== 'spice') throw new NovaError('invalid_argument', '--console takes vnc, serial, spice or terminal');
  if (!name || !VM_NAME_PATTERN.test(name)) throw new NovaError('invalid_argument', '--console needs the VM\'s name: nova connect --console vnc NAME');
  return { kind, name };
}

/** The console's unix socket on this host, as the helper knows it. */
export async function consoleTargetPath(helper: Pick<HelperClient, 'call'>, request: ConsoleRequest): Promise<ConsoleTargetPath> {
  if (request.kind === 'terminal') {
    const terminal = await helper.call('capsule.terminalOpen', { name: request.name, ...TERMINAL_START_SIZE });
    return { socketPath: terminal.socketPath };
  }
  const info = await helper.call('vm.consoleInfo', { name: request.name });
  if (request.kind === 'serial') return { socketPath: info.serialSocket, replayLog: info.serialLog };
  const path = request.kind === 'vnc' ? info.vnc?.socket : info.spice?.socket;
  if (!path) {
    const display = request.kind === 'spice' ? 'SPICE' : 'VNC';
    throw new NovaError('failed_precondition', `${request.name} has no ${display} display: give it one in its settings and restart it`);
  }
  return { socketPath: path };
}
