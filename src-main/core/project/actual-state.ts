// What the helper has: every VM, capsule and network with its owner, read with one list
// call per kind (the calls the GUI's lists make), so a plan costs three round trips
// however large the project.
import type { HelperMethodName, ParamsIn, ResultOf } from '../../../src-shared/api/nova-api.js';
import type { Capsule } from '../../../src-shared/capsule.js';
import { NovaError, toErrorShape } from '../../../src-shared/errors.js';
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

/** How long one host may take to answer the plan's reads (ssh's connect bound is inside it). */
export const HOST_READ_BOUND_MS = 30_000;

/**
 * Every host's state, read side by side, each within `boundMs`. A host that cannot be
 * reached or does not answer fails the whole read, naming the host and why (ssh's own
 * words for an ssh failure), so nothing is planned from a part of the project.
 */
export async function readHostStates(hosts: readonly string[], reader: (host: string) => Promise<StateReader>, boundMs = HOST_READ_BOUND_MS): Promise<Map<string, ActualState>> {
  const read = async (host: string): Promise<[string, ActualState]> => {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NovaError('timeout', `no answer within ${Math.round(boundMs / 1000)} s`)), boundMs);
    });
    try {
      return [host, await Promise.race([reader(host).then(readActualState), bound])];
    } catch (err) {
      const shape = toErrorShape(err);
      throw new NovaError(shape.code === 'timeout' ? 'timeout' : 'unavailable', `host ${host}: cannot read what it has (${shape.message}); nothing was planned or applied`, { host });
    } finally {
      clearTimeout(timer);
    }
  };
  return new Map(await Promise.all(hosts.map(read)));
}
