// What the helper has: every VM, capsule and network with its owner, read with one list
// call per kind (the calls the GUI's lists make), so a plan costs three round trips
// however large the project.
import type { HelperMethodName, ParamsIn, ResultOf } from '../../../src-shared/api/nova-api.js';
import type { Capsule } from '../../../src-shared/capsule.js';
import type { Network } from '../../../src-shared/network.js';
import type { VmInfo } from '../../../src-shared/vm.js';

export interface ActualState {
  networks: Network[];
  vms: VmInfo[];
  capsules: Capsule[];
}

export interface StateReader {
  call<M extends HelperMethodName>(method: M, params: ParamsIn<M>): Promise<ResultOf<M>>;
}

export async function readActualState(helper: StateReader): Promise<ActualState> {
  const [networks, vms, capsules] = await Promise.all([
    helper.call('network.list', {}),
    helper.call('vm.list', {}),
    helper.call('capsule.list', {}),
  ]);
  return { networks: networks.networks, vms: vms.vms, capsules: capsules.capsules };
}

/** The project a resource belongs to, or null when unmanaged. */
export function ownerOf(kind: 'network' | 'vm' | 'capsule', resource: Network | VmInfo | Capsule): string | null {
  if (kind === 'network') return (resource as Network).project;
  if (kind === 'vm') return (resource as VmInfo).definition.project ?? null;
  return (resource as Capsule).spec.project ?? null;
}
