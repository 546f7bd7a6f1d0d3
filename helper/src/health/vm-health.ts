// The VM engine's side of health: a VM's check runs from its `running` state until it
// stops or crashes (a pause keeps it: a paused guest's checks fail, as they should). A
// serial check reads this run's console log; tcp and http find the VM's address on its
// Nova network (a static one, or its DHCP lease), looked up at each check.
import type { Attachment, DhcpLease } from '../../../src-shared/network.js';
import type { VmInfo, VmState } from '../../../src-shared/vm.js';
import { novaNetworksOf } from '../../../src-shared/vm-devices.js';
import type { Logger } from '../util/logger.js';
import { probeFor } from './guest-probe.js';
import type { GuestRef, HealthRegistry } from './health-registry.js';
import type { AddressOf } from './tcp-probe.js';

export interface HealthCheckedVms {
  get(name: string): Promise<VmInfo>;
  /** The VMs' folder and a VM's serial log in it. */
  serialLog(name: string): { root: string; logPath: string };
}

/** The part of the network engine that tells a guest's address. */
export interface GuestAddresses {
  get(network: string): Promise<{ attachments: Attachment[] }>;
  leases(network: string): Promise<DhcpLease[]>;
}

function ref(name: string): GuestRef {
  return { kind: 'vm', name };
}

/** The VM's address on `network`: its static one, else the lease its MAC holds; null while it has none. */
export function vmAddressOf(networks: GuestAddresses, network: string, vm: string): AddressOf {
  let mac: string | null = null;
  return async () => {
    if (mac === null) {
      const attachment = (await networks.get(network)).attachments.find((a) => a.resource === vm);
      if (!attachment) return null;
      if (attachment.address) return attachment.address.split('/')[0]!;
      mac = attachment.mac;
    }
    const lease = (await networks.leases(network)).find((l) => l.mac.toLowerCase() === mac!.toLowerCase());
    return lease?.address ?? null;
  };
}

export class VmHealthWatch {
  constructor(
    private readonly registry: HealthRegistry,
    private readonly vms: () => HealthCheckedVms,
    private readonly networks: GuestAddresses | null,
    private readonly logger: Logger,
  ) {}

  /** The VM engine's state hook; a reattached VM announces its state through it too. */
  changed(name: string, state: VmState): void {
    if (state === 'paused' || state === 'starting') return;
    if (state !== 'running') {
      this.registry.unwatch(ref(name));
      return;
    }
    this.vms()
      .get(name)
      .then((vm) => this.follow(vm))
      .catch((err: unknown) => this.logger.warn({ vm: name, err }, 'could not start its health check'));
  }

  private follow(vm: VmInfo): void {
    const def = vm.definition;
    const check = def.health;
    if (vm.state !== 'running' || !check || !vm.startedAt) {
      if (vm.state !== 'paused') this.registry.unwatch(ref(def.name));
      return;
    }
    // The first Nova network's NIC: it is attached under the VM's own name there.
    const network = novaNetworksOf(def)[0];
    const addressOf = network !== undefined && this.networks ? vmAddressOf(this.networks, network, def.name) : undefined;
    this.registry.watch(ref(def.name), {
      runId: vm.startedAt,
      check,
      probe: () => probeFor(check.probe, check.timeoutMs, { serial: this.vms().serialLog(def.name), ...(addressOf ? { addressOf } : {}) }),
    });
  }
}
