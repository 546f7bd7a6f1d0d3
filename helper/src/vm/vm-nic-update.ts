// The NIC half of `vm.update`: NICs added at the end of the list, removed (by place or
// MAC), and each one's network, MAC, model and link changed. Everything but the link
// goes into the definition (a running VM takes it at its next start, shown as pending);
// the link also reaches a running QEMU at once through `set_link` on that NIC alone.
import { NovaError } from '../../../src-shared/errors.js';
import { vmNetworkFromChoice, type VmDefinition } from '../../../src-shared/vm.js';
import { MAX_VM_NICS, nicFromSpec, showNicNetwork, type VmDeviceChange, type VmNic } from '../../../src-shared/vm-devices.js';
import { deviceDefaultsOf } from '../../../src-shared/vm-platform.js';
import type { QmpClient } from './qmp-client.js';
import { setNicLink } from './vm-live-devices.js';
import type { VmNetworkPort } from './vm-network.js';

type NicChange = Extract<VmDeviceChange, { op: 'nic.add' | 'nic.remove' | 'nic.set' }>;

export class VmNicUpdate {
  constructor(private readonly networks: VmNetworkPort) {}

  /** `live`: the running VM's monitor when this change applies live (appliesLive), else null. */
  async apply(def: VmDefinition, change: NicChange, live: QmpClient | null): Promise<VmDefinition> {
    switch (change.op) {
      case 'nic.add':
        // A NIC's model, unless given, is what the VM's OS profile chose (e1000e for Windows 11's installer).
        return this.add(def, nicFromSpec({ ...change, model: change.model ?? deviceDefaultsOf(def.os, false).nicModel }));
      case 'nic.remove':
        return withoutNic(def, nicIndex(def, change.index, change.mac, 'nic.remove'));
      case 'nic.set':
        return this.set(def, change, live);
    }
  }

  private async add(def: VmDefinition, nic: VmNic): Promise<VmDefinition> {
    if (def.nics.length >= MAX_VM_NICS) throw new NovaError('failed_precondition', `VM ${def.name} has ${MAX_VM_NICS} NICs, the most a VM has`);
    if (nic.network.mode === 'nova') await this.networks.checkNetwork(nic.network.network);
    if (nic.mac !== null) checkMacFree(def, nic.mac, -1);
    return { ...def, nics: [...def.nics, nic] };
  }

  private async set(def: VmDefinition, change: Extract<NicChange, { op: 'nic.set' }>, live: QmpClient | null): Promise<VmDefinition> {
    const network = change.network === undefined ? undefined : vmNetworkFromChoice(change.network);
    // The single-NIC habit: a network on a VM without NICs gives it one, and "none" takes the NIC away.
    if (def.nics.length === 0 && change.index === undefined && change.of === undefined && network && network.mode !== 'none') {
      return this.add(def, { network, mac: change.mac ?? null, ...(change.model && change.model !== 'virtio' ? { model: change.model } : {}), ...(change.link === 'down' ? { link: 'down' as const } : {}) });
    }
    const index = nicIndex(def, change.index, change.of, 'nic.set');
    if (network?.mode === 'none') return withoutNic(def, index);
    let nic: VmNic = def.nics[index]!;
    if (network) {
      if (network.mode === 'nova') await this.networks.checkNetwork(network.network);
      nic = { ...nic, network };
    }
    if (change.mac !== undefined) {
      if (change.mac !== null) checkMacFree(def, change.mac, index);
      nic = { ...nic, mac: change.mac };
    }
    if (change.model !== undefined) nic = withOptional(nic, 'model', change.model === 'virtio' ? undefined : change.model);
    if (change.link !== undefined) {
      if (live) await setNicLink(live, index, change.link === 'up');
      nic = withOptional(nic, 'link', change.link === 'down' ? 'down' : undefined);
    }
    return { ...def, nics: def.nics.map((n, i) => (i === index ? nic : n)) };
  }
}

/** The NIC a change names: by place, by MAC, or net0 when it names none. */
function nicIndex(def: VmDefinition, index: number | undefined, mac: string | undefined, op: string): number {
  if (index !== undefined && mac !== undefined) throw new NovaError('invalid_argument', `${op}: name the NIC by its index or by its MAC, not both`);
  if (def.nics.length === 0) throw new NovaError('not_found', `VM ${def.name} has no NIC: add one first (nova vm nic add ${def.name} --network nova:NAME)`);
  if (mac !== undefined) {
    const found = def.nics.findIndex((n) => n.mac === mac);
    if (found < 0) throw new NovaError('not_found', `VM ${def.name} has no NIC with MAC ${mac}; its NICs: ${listNics(def)}`);
    return found;
  }
  const i = index ?? 0;
  if (i >= def.nics.length) throw new NovaError('not_found', `VM ${def.name} has no NIC net${i}; its NICs: ${listNics(def)}`);
  return i;
}

function withoutNic(def: VmDefinition, index: number): VmDefinition {
  // PXE from a NIC that is gone would point the boot order at the next one in its place.
  const bootOrder = index === 0 && def.nics.length === 1 ? (def.bootOrder?.filter((b) => b !== 'net0') ?? def.bootOrder) : def.bootOrder;
  return { ...def, nics: def.nics.filter((_, i) => i !== index), ...(bootOrder !== undefined ? { bootOrder } : {}) };
}

function checkMacFree(def: VmDefinition, mac: string, self: number): void {
  const other = def.nics.findIndex((n, i) => i !== self && n.mac === mac);
  if (other >= 0) throw new NovaError('already_exists', `VM ${def.name}'s NIC net${other} has MAC ${mac} already: two NICs of one VM need two MACs`);
}

function withOptional<K extends 'model' | 'link'>(nic: VmNic, key: K, value: VmNic[K] | undefined): VmNic {
  const { [key]: _old, ...rest } = nic;
  return (value === undefined ? rest : { ...rest, [key]: value }) as VmNic;
}

function listNics(def: VmDefinition): string {
  return def.nics.map((n, i) => `net${i} (${showNicNetwork(n.network)}${n.mac ? `, ${n.mac}` : ''})`).join(', ');
}
