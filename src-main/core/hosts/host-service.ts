// The Hosts page's side of main: the saved hosts of `nova host add|ls|rm`, each probed
// on its own call so the page shows every host as it answers and a silent one holds up
// nothing. ssh runs in batch mode here: main has no terminal to ask a passphrase on,
// so a host that needs one says so instead of hanging.
import { NovaError } from '../../../src-shared/index.js';
import type { HostStatusView, SavedHost } from '../../../src-shared/api/hosts-api.js';
import { LOCAL_HOST, type SshHostAddress } from '../../../src-shared/vocabulary/index.js';
import type { HelperClient } from '../helper-client.js';
import { probeClient, probeRemote } from './host-probe.js';
import { checkAddress, HostRegistry } from './host-registry.js';
import { sshOptionsFromEnv } from './ssh-command.js';

/** This machine's helper answers over a local socket: longer than this means it is stuck. */
const LOCAL_PROBE_BOUND_MS = 15_000;

export interface HostServiceDeps {
  /** This machine's helper, which stays open after a probe. */
  readonly local: Pick<HelperClient, 'call'>;
  readonly registry?: HostRegistry;
  readonly probeRemote?: (address: SshHostAddress) => Promise<HostStatusView>;
}

export class HostService {
  private readonly registry: HostRegistry;
  private readonly remote: (address: SshHostAddress) => Promise<HostStatusView>;

  constructor(private readonly deps: HostServiceDeps) {
    this.registry = deps.registry ?? new HostRegistry();
    this.remote = deps.probeRemote ?? ((address) => probeRemote(address, sshOptionsFromEnv(process.env, true)));
  }

  async list(): Promise<{ hosts: SavedHost[] }> {
    return { hosts: (await this.registry.list()).map(({ name, url }) => ({ name, url })) };
  }

  async probe(name: string): Promise<HostStatusView> {
    if (name === LOCAL_HOST) return probeClient(this.deps.local, LOCAL_PROBE_BOUND_MS);
    const host = await this.registry.get(name);
    if (!host) throw new NovaError('not_found', `No host named ${JSON.stringify(name)} is saved`);
    if (host.address.kind === 'local') return probeClient(this.deps.local, LOCAL_PROBE_BOUND_MS);
    return this.remote(host.address);
  }

  /** Saved first, then asked: a host that is down today is still the user's to keep. */
  async add(name: string, url: string): Promise<{ host: SavedHost; status: HostStatusView }> {
    const address = checkAddress(url);
    if (address.kind === 'local') throw new NovaError('invalid_argument', '"local" is this machine and needs no saving');
    const added = await this.registry.add(name, url);
    return { host: { name: added.name, url: added.url }, status: await this.remote(address) };
  }

  async remove(name: string): Promise<{ removed: string }> {
    await this.registry.remove(name);
    return { removed: name };
  }
}
