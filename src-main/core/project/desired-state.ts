// What a NovaFile asks the helper for: each resource as the create spec `nova run` sends
// (novafile-apply.ts's mapping), with the contract's defaults filled in, so a key the
// file leaves out means the default, exactly as a create would make it.
import { CapsuleSpecSchema, type CapsuleSpec, type CapsuleSpecIn } from '../../../src-shared/capsule.js';
import { NetworkSpecSchema, type NetworkSpec, type NetworkSpecInput } from '../../../src-shared/network.js';
import { VmCreateSpecSchema, type VmCreateSpec, type VmCreateSpecIn } from '../../../src-shared/vm.js';
import { capsuleSpec, networkSpec, vmCreateSpec, type Locate } from '../novafile-apply.js';
import type { CapsuleConfig, NetworkConfig, NovaFileConfig, VmConfig } from '../novafile/novafile-config.js';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';

/** `spec` with the defaults filled in, to compare; `input` as written, to send to the helper. */
export interface DesiredNetwork {
  config: NetworkConfig;
  spec: NetworkSpec;
  input: NetworkSpecInput;
  /** The hosts it is made on: those of the guests on it (the default host when none is). */
  hosts: string[];
}
export interface DesiredVm {
  config: VmConfig;
  spec: VmCreateSpec;
  input: VmCreateSpecIn;
  /** The host it runs on: its `host` key, else the project's default host. */
  host: string;
}
export interface DesiredCapsule {
  config: CapsuleConfig;
  spec: CapsuleSpec;
  input: CapsuleSpecIn;
  host: string;
}

export interface DesiredState {
  project: string;
  file: string;
  networks: DesiredNetwork[];
  vms: DesiredVm[];
  capsules: DesiredCapsule[];
  /**
   * Every host whose state the plan reads: this machine (where a project starts out, so
   * `nova up --host closet` finds what it moves), the default host, every guest's host and
   * the hosts the project was last applied on (project-host-memory.ts).
   */
  hosts: string[];
}

/**
 * `defaultHost`: where a guest without a `host` key runs (`--host`, else this machine);
 * `alsoRead`: hosts the project may still have resources on.
 */
export function desiredState(config: NovaFileConfig, locate: Locate = () => config.file, defaultHost: string = LOCAL_HOST, alsoRead: readonly string[] = []): DesiredState {
  const project = config.project;
  const vms = config.vms.map((vm) => ({ ...withSpec(vm, vmCreateSpec(vm, project), VmCreateSpecSchema.parse), host: vm.host ?? defaultHost }));
  const capsules = config.capsules.map((c) => ({ ...withSpec(c, capsuleSpec(c, locate, project).spec, CapsuleSpecSchema.parse), host: c.host ?? defaultHost }));
  const hostsOn = (net: string) => {
    const on = new Set([...vms.filter((v) => (v.config.networks ?? []).includes(net)).map((v) => v.host), ...capsules.filter((c) => c.config.network === net).map((c) => c.host)]);
    return on.size > 0 ? sortHosts(on) : [defaultHost];
  };
  const networks = config.networks.map((net) => ({ ...withSpec(net, networkSpec(net, config.domain, project), NetworkSpecSchema.parse), hosts: hostsOn(net.name) }));
  const hosts = sortHosts(new Set([LOCAL_HOST, defaultHost, ...vms.map((v) => v.host), ...capsules.map((c) => c.host), ...alsoRead]));
  return { project, file: config.file, networks, vms, capsules, hosts };
}

/** This machine first, then by name: the order hosts are shown and applied in. */
function sortHosts(hosts: Iterable<string>): string[] {
  return [...hosts].sort((a, b) => Number(b === LOCAL_HOST) - Number(a === LOCAL_HOST) || a.localeCompare(b));
}

/** The hosts the project has resources on once applied as desired (networks included). */
export function placedHosts(desired: DesiredState): string[] {
  return sortHosts(new Set([...desired.vms.map((v) => v.host), ...desired.capsules.map((c) => c.host), ...desired.networks.flatMap((n) => n.hosts)]));
}

/** The part of the project placed on one host. */
export function desiredOn(desired: DesiredState, host: string): DesiredState {
  return {
    ...desired,
    networks: desired.networks.filter((n) => n.hosts.includes(host)),
    vms: desired.vms.filter((v) => v.host === host),
    capsules: desired.capsules.filter((c) => c.host === host),
    hosts: [host],
  };
}

function withSpec<C, I, S>(config: C, input: I, parse: (input: I) => S): { config: C; spec: S; input: I } {
  return { config, spec: parse(input), input };
}
