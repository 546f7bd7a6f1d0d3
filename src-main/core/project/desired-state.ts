// What a NovaFile asks the helper for: each resource as the create spec `nova run` sends
// (novafile-apply.ts's mapping), with the contract's defaults filled in, so a key the
// file leaves out means the default, exactly as a create would make it.
import { CapsuleSpecSchema, type CapsuleSpec } from '../../../src-shared/capsule.js';
import { NetworkSpecSchema, type NetworkSpec } from '../../../src-shared/network.js';
import { VmCreateSpecSchema, type VmCreateSpec } from '../../../src-shared/vm.js';
import { capsuleSpec, networkSpec, vmCreateSpec, type Locate } from '../novafile-apply.js';
import type { CapsuleConfig, NetworkConfig, NovaFileConfig, VmConfig } from '../novafile/novafile-config.js';

export interface DesiredNetwork {
  config: NetworkConfig;
  spec: NetworkSpec;
}
export interface DesiredVm {
  config: VmConfig;
  spec: VmCreateSpec;
}
export interface DesiredCapsule {
  config: CapsuleConfig;
  spec: CapsuleSpec;
}

export interface DesiredState {
  project: string;
  file: string;
  networks: DesiredNetwork[];
  vms: DesiredVm[];
  capsules: DesiredCapsule[];
}

export function desiredState(config: NovaFileConfig, locate: Locate = () => config.file): DesiredState {
  const project = config.project;
  return {
    project,
    file: config.file,
    networks: config.networks.map((net) => ({ config: net, spec: NetworkSpecSchema.parse(networkSpec(net, config.domain, project)) })),
    vms: config.vms.map((vm) => ({ config: vm, spec: VmCreateSpecSchema.parse(vmCreateSpec(vm, project)) })),
    capsules: config.capsules.map((c) => ({ config: c, spec: CapsuleSpecSchema.parse(capsuleSpec(c, locate, project).spec) })),
  };
}
