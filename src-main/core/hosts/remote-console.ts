// A saved host's VM console or capsule shell for the console proxy: `ssh HOST nova connect
// --console KIND GUEST`, its own ssh channel beside the helper's (the helper's connection
// carries JSON-RPC only). ssh authenticates as for the helper; the remote `nova connect` asks its helper where the
// console is, so the SSH user sees only the consoles that helper lets them see.
import type { Duplex } from 'node:stream';
import { NovaError } from '../../../src-shared/index.js';
import type { ConsoleTarget } from '../console-proxy.js';
import { HostRegistry } from './host-registry.js';
import { sshOptionsFromEnv } from './ssh-command.js';
import { openSshConnection } from './ssh-transport.js';

export function remoteConsoleOpener(registry = new HostRegistry(), env: NodeJS.ProcessEnv = process.env): (host: string, kind: ConsoleTarget['kind'], name: string) => Promise<Duplex> {
  const ssh = sshOptionsFromEnv(env, true);
  return async (host, kind, name) => {
    const saved = await registry.get(host);
    if (!saved || saved.address.kind !== 'ssh') throw new NovaError('not_found', `No remote host named ${JSON.stringify(host)} is saved`);
    const stream = openSshConnection(saved.address, ssh, ['--console', kind, name]);
    // Spawned is enough: what ssh or the remote side refuses closes the console with its words.
    await new Promise<void>((resolve, reject) => {
      stream.once('connect', () => resolve());
      stream.once('error', reject);
    });
    return stream;
  };
}
