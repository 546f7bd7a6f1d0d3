// A run's place on its Nova network: the capsule's own network namespace (inside its
// user namespace when it has one), its veth and address, and its published ports; and
// their release when the run ends. Every release step is idempotent, so a restarted
// helper may repeat it for a run it did not see end.
import type { CapsuleSpec } from '../../../src-shared/capsule.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import type { CapsuleLayout } from './capsule-layout.js';
import type { CapsuleAttachment, CapsuleNetworkPort } from './capsule-network.js';
import { loopbackUpArgv, type CapsuleNamespaces } from './capsule-netns.js';
import type { IdMapping } from './oci-config.js';

/** What a run holds on its network, as its record keeps it. */
export interface HeldAttachment {
  name: string;
  address: string | null;
  netns: string;
}

export interface CapsuleNetworkJoinOptions {
  layout: CapsuleLayout;
  runner: Pick<ProcessRunner, 'run'>;
  logger: Logger;
  networks: CapsuleNetworkPort;
  namespaces: () => CapsuleNamespaces;
}

export class CapsuleNetworkJoin {
  constructor(private readonly o: CapsuleNetworkJoinOptions) {}

  /** The capsule's namespace, its veth and address, and its published ports; null without a network. */
  async join(name: string, spec: CapsuleSpec, mapping: IdMapping | null): Promise<CapsuleAttachment | null> {
    if (!spec.network) return null;
    const ns = this.o.layout.netnsName(name);
    // A namespace left by a crash is this capsule's own (its name is derived): start afresh.
    await this.o.namespaces().create(ns, mapping);
    let net: CapsuleAttachment | null = null;
    try {
      await this.o.runner.run({ argv: loopbackUpArgv(ns), timeoutMs: 10_000 });
      net = await this.o.networks.attach(spec.network, name, ns, spec.address);
      if (spec.ports.length > 0) await this.o.networks.publish(spec.network, net.address, spec.ports);
      return net;
    } catch (err) {
      await this.leave(name, spec, { name: spec.network, address: net?.address ?? null, netns: ns });
      throw err;
    }
  }

  /** Gives back what join took. */
  async leave(name: string, spec: CapsuleSpec, net: HeldAttachment | null): Promise<void> {
    if (!net && !spec.network) return;
    const network = net?.name ?? (spec.network as string);
    const ns = net?.netns ?? this.o.layout.netnsName(name);
    try {
      // A start cut short (the helper killed) may have published its ports before its address was recorded.
      const address = net?.address ?? (spec.ports.length > 0 ? await this.o.networks.attachedAddress(network, name).catch(() => null) : null);
      if (address && spec.ports.length > 0) await this.o.networks.unpublish(network, address, spec.ports);
      await this.o.networks.detach(network, name);
    } catch (err) {
      this.o.logger.warn({ capsule: name, network, err }, 'could not release the capsule network attachment');
    }
    await this.o.namespaces().remove(ns).catch((err: unknown) => this.o.logger.warn({ capsule: name, netns: ns, err }, 'could not remove the capsule namespaces'));
  }
}
