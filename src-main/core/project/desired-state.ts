// What a NovaFile asks the helper for: each resource as the create spec `nova run` sends
// (novafile-apply.ts's mapping), with the contract's defaults filled in, so a key the
// file leaves out means the default, exactly as a create would make it.
import { CapsuleSpecSchema, type CapsuleSpec, type CapsuleSpecIn } from '../../../src-shared/capsule.js';
import { NetworkSpecSchema, type NetworkSpec, type NetworkSpecInput } from '../../../src-shared/network.js';
import { VmCreateSpecSchema, type VmCreateSpec, type VmCreateSpecIn } from '../../../src-shared/vm.js';
import { capsuleSpec, networkSpec, vmCreateSpec, type Locate } from '../novafile-apply.js';
import type { CapsuleConfig, NetworkConfig, NovaFileConfig, VmConfig } from '../novafile/novafile-config.js';

/** `spec` with the defaults filled in, to compare; `input` as written, to send to the helper. */
export interface DesiredNetwork {
  config: NetworkConfig;
  spec: NetworkSpec;
  input: NetworkSpecInput;
}
export interface DesiredVm {
  config: VmConfig;
  spec: VmCreateSpec;
  input: VmCreateSpecIn;
}
export interface DesiredCapsule {
  config: CapsuleConfig;
  spec: CapsuleSpec;
  input: CapsuleSpecIn;
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
    networks: config.networks.map((net) => withSpec(net, networkSpec(net, config.domain, project), NetworkSpecSchema.parse)),
    vms: config.vms.map((vm) => withSpec(vm, vmCreateSpec(vm, project), VmCreateSpecSchema.parse)),
    capsules: config.capsules.map((c) => withSpec(c, capsuleSpec(c, locate, project).spec, CapsuleSpecSchema.parse)),
  };
}

function withSpec<C, I, S>(config: C, input: I, parse: (input: I) => S): { config: C; spec: S; input: I } {
  return { config, spec: parse(input), input };
}
