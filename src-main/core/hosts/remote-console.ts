// A saved host's VM console or capsule shell for the console proxy and the SPICE relay: `ssh
// HOST nova connect --console KIND GUEST`, its own ssh channel beside the helper's (the
// helper's connection carries JSON-RPC only). ssh authenticates as for the helper; the
// remote `nova connect` asks its helper where the console is, so the SSH user sees only the
// consoles that helper lets them see.
import type { Duplex } from 'node:stream';
import { NovaError } from '../../../src-shared/index.js';
import type { SshHostAddress } from '../../../src-shared/vocabulary/index.js';
import type { ConsoleTarget } from '../console-proxy.js';
import { HostRegistry } from './host-registry.js';
import { sshOptionsFromEnv, type SshCommandOptions } from './ssh-command.js';
import { openSshConnection } from './ssh-transport.js';

/** What `nova connect --console` carries: the proxy's consoles and capsule shells, and SPICE for remote-viewer. */
export type RemoteConsoleKind = ConsoleTarget['kind'] | 'spice';

/** Resolves once ssh runs: what ssh or the remote side refuses then closes the stream with its words. */
export async function openRemoteConsole(address: SshHostAddress, ssh: SshCommandOptions, kind: RemoteConsoleKind, name: string): Promise<Duplex> {
  const stream = openSshConnection(address, ssh, ['--console', kind, name]);
  await new Promise<void>((resolve, reject) => {
    stream.once('connect', () => resolve());
    stream.once('error', reject);
  });
  return stream;
}

export function remoteConsoleOpener(registry = new HostRegistry(), env: NodeJS.ProcessEnv = process.env): (host: string, kind: RemoteConsoleKind, name: string) => Promise<Duplex> {
  const ssh = sshOptionsFromEnv(env, true);
  return async (host, kind, name) => {
    const saved = await registry.get(host);
    if (!saved || saved.address.kind !== 'ssh') throw new NovaError('not_found', `No remote host named ${JSON.stringify(host)} is saved`);
    return openRemoteConsole(saved.address, ssh, kind, name);
  };
}
