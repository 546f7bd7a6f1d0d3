// The connection pool as the app runs it: saved hosts from the user's registry, each
// reached by `ssh HOST nova connect` in batch mode (main has no terminal for a prompt),
// and their events relayed as `hosts.relayed` for the pages that show that host.
import { NovaError, type NovaEvent } from '../../../src-shared/index.js';
import { HostConnectionPool } from './host-connection-pool.js';
import { HostRegistry } from './host-registry.js';
import { remoteHelperClient } from './remote-helper.js';
import { sshOptionsFromEnv } from './ssh-command.js';

export function savedHostPool(publish: (event: NovaEvent) => void, registry = new HostRegistry(), env: NodeJS.ProcessEnv = process.env): HostConnectionPool {
  const ssh = sshOptionsFromEnv(env, true);
  return new HostConnectionPool({
    open: async (name) => {
      const host = await registry.get(name);
      if (!host) throw new NovaError('not_found', `No host named ${JSON.stringify(name)} is saved (see the Hosts page or "nova host ls")`);
      if (host.address.kind !== 'ssh') throw new NovaError('invalid_argument', `${name} names this machine: choose "local"`);
      return remoteHelperClient(host.address, ssh);
    },
    onEvent: (host, event) => publish({ name: 'hosts.relayed', payload: { host, event } }),
    connectBoundMs: ssh.connectTimeoutS * 1000 + 10_000,
  });
}
