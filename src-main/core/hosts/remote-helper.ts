// A HelperClient for a remote host: the same client and protocol as for the local
// socket, carried by `ssh HOST nova connect`. Nothing is started here: the remote
// `nova connect` starts its helper on demand, as the CLI's autostart does locally.
import { formatHostAddress, type SshHostAddress } from '../../../src-shared/vocabulary/index.js';
import { HelperClient } from '../helper-client.js';
import type { SshCommandOptions } from './ssh-command.js';
import { openSshConnection } from './ssh-transport.js';

export function remoteHelperClient(address: SshHostAddress, ssh: SshCommandOptions): HelperClient {
  const where = formatHostAddress(address);
  return new HelperClient({
    socketPath: where,
    transport: { where, open: () => openSshConnection(address, ssh) },
    reconnect: false,
  });
}
