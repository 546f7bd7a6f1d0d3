// The hosts `nova plan|up|down|ps` reach for one project: this machine, the default host
// (`nova --host NAME`) and every host a guest's `host` key names, each connected once on
// first use (the same connection `--host` makes) and closed together at the end; and the
// hosts the project was last applied on (project-host-memory.ts).
import { LOCAL_HOST } from '../../src-shared/vocabulary/index.js';
import type { HelperClient } from '../core/helper-client.js';
import { HostRegistry } from '../core/hosts/host-registry.js';
import { hostGuestMover } from '../core/hosts/project-guest-mover.js';
import type { ApplyHosts } from '../core/project/project-apply.js';
import type { ActualState } from '../core/project/actual-state.js';
import type { ProjectHelper } from '../core/project/project-helper.js';
import type { ProjectHostReaders } from '../core/project/project-planner.js';
import { ProjectHostMemory } from '../core/project/project-host-memory.js';
import type { CliContext } from './cli-context.js';
import type { InterruptHub } from './interrupt-hub.js';
import { cliProjectHelper } from './project-operations.js';

export class CliProjectHosts {
  private readonly clients = new Map<string, Promise<HelperClient>>();
  private readonly registry = new HostRegistry();
  readonly memory = new ProjectHostMemory();

  constructor(private readonly ctx: CliContext) {}

  get defaultHost(): string {
    return this.ctx.globals().host ?? LOCAL_HOST;
  }

  /** How the NovaFile's project reaches its hosts. */
  async readers(file: string): Promise<ProjectHostReaders> {
    const knownHosts = (await this.registry.list()).map((h) => h.name);
    return { defaultHost: this.defaultHost, knownHosts, rememberedHosts: await this.memory.hostsOf(file), reader: (host) => this.client(host) };
  }

  client(host: string): Promise<HelperClient> {
    let client = this.clients.get(host);
    if (!client) {
      client = this.ctx.connectHost ? this.ctx.connectHost(host) : this.ctx.connectHelper();
      // A failed connection is the caller's to report; it is not retried within one command.
      client.catch(() => undefined);
      this.clients.set(host, client);
    }
    return client;
  }

  /** Each host's ProjectHelper (progress on stderr, Ctrl+C cancels) and the mover between them, for applyPlan. */
  async applyHosts(actual: ReadonlyMap<string, ActualState>, hub: InterruptHub, quiet: boolean): Promise<ApplyHosts> {
    const helpers = new Map<string, ProjectHelper>();
    for (const host of actual.keys()) helpers.set(host, cliProjectHelper(this.ctx, await this.client(host), hub, quiet));
    const helper = (host: string): ProjectHelper => {
      const h = helpers.get(host);
      if (!h) throw new Error(`host ${host} was not read for this plan`);
      return h;
    };
    return {
      helper,
      actual: (host) => actual.get(host) ?? { networks: [], vms: [], capsules: [] },
      mover: hostGuestMover({ helper, registry: this.registry }),
    };
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    for (const c of await Promise.allSettled(all)) if (c.status === 'fulfilled') c.value.close();
  }
}

/** Runs `work` with the project's hosts, every connection closed afterwards whatever happens. */
export async function withProjectHosts<T>(ctx: CliContext, work: (hosts: CliProjectHosts) => Promise<T>): Promise<T> {
  const hosts = new CliProjectHosts(ctx);
  try {
    return await work(hosts);
  } finally {
    await hosts.close();
  }
}
