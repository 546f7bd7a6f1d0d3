// The device inventory and preflight behind device.list/get/check: reads the host's
// PCI and USB devices through the roots (a fake tree in tests), names them, and
// judges each PCI function's readiness with the same items `device.check` lists.
// Read afresh on request, and the cache dropped whenever device-watch.ts sees a change.
import type { DeviceInventory, DevicePreflight, IommuGroupMember, PciDevice } from '../../../src-shared/device.js';
import { worstVerdict } from '../../../src-shared/device.js';
import { NovaError } from '../../../src-shared/errors.js';
import { listHostDir } from '../host-check/host-fs.js';
import { type HostRoots, hostPath } from '../host-check/host-probe-env.js';
import { scanNodeUsers } from './device-users.js';
import { lazyIdNames } from './id-names.js';
import { readIommuState, type IommuState } from './iommu-state.js';
import { PCI_DEVICES, readPciFacts, type PciFacts } from './pci-reader.js';
import { deviceItems } from './preflight-device.js';
import { hostItems } from './preflight-host.js';
import { readUsbDevices } from './usb-reader.js';

const PCI_IDS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'];
const USB_IDS = ['/usr/share/misc/usb.ids', '/var/lib/usbutils/usb.ids', '/usr/share/hwdata/usb.ids'];

export interface DeviceInventoryDeps {
  roots: HostRoots;
  isRoot: boolean;
  now?: () => Date;
}

interface Snapshot {
  inventory: DeviceInventory;
  facts: PciFacts[];
  iommu: IommuState;
}

export class DeviceInventoryService {
  private cached: Snapshot | null = null;
  private readonly pciNames: ReturnType<typeof lazyIdNames>;
  private readonly usbNames: ReturnType<typeof lazyIdNames>;

  constructor(private readonly deps: DeviceInventoryDeps) {
    this.pciNames = lazyIdNames(PCI_IDS.map((p) => hostPath(deps.roots, p)));
    this.usbNames = lazyIdNames(USB_IDS.map((p) => hostPath(deps.roots, p)));
  }

  async list(refresh: boolean): Promise<DeviceInventory> {
    if (refresh || !this.cached) this.cached = await this.read();
    return this.cached.inventory;
  }

  /** The devices changed: the next list reads them again. */
  invalidate(): void {
    this.cached = null;
  }

  /** Always read afresh: one device is asked for when its state matters now. */
  async get(address: string): Promise<PciDevice> {
    return this.find(await this.fresh(), address);
  }

  async check(address: string, memoryMib?: number): Promise<DevicePreflight> {
    const snap = await this.fresh();
    const device = this.find(snap, address);
    const facts = snap.facts.find((f) => f.address === address)!;
    const items = [
      ...deviceItems(facts, device.groupMembers, snap.facts, snap.iommu),
      ...(await hostItems(this.deps.roots, snap.iommu, { isRoot: this.deps.isRoot, ...(memoryMib === undefined ? {} : { memoryMib }) })),
    ];
    return { address, verdict: worstVerdict(items.map((i) => i.verdict)), items };
  }

  private async fresh(): Promise<Snapshot> {
    this.cached = await this.read();
    return this.cached;
  }

  private find(snap: Snapshot, address: string): PciDevice {
    const device = snap.inventory.pci.find((d) => d.address === address);
    if (!device) throw new NovaError('not_found', `No PCI device ${address} on this host (nova device ls lists them)`);
    return device;
  }

  private async read(): Promise<Snapshot> {
    const { roots } = this.deps;
    const [pciNames, usbNames, iommu] = await Promise.all([this.pciNames(), this.usbNames(), readIommuState(roots)]);
    const addresses = ((await listHostDir(roots, PCI_DEVICES)) ?? []).filter((a) => /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(a));
    const facts = (await Promise.all(addresses.map((a) => readPciFacts(roots, a, pciNames)))).filter((f): f is PciFacts => f !== null);
    // Walking every process's fds is the slow part: only when some device has nodes to hold.
    const nodes = new Set(facts.flatMap((f) => f.nodes));
    if (nodes.size > 0) {
      const users = await scanNodeUsers(roots, (node) => nodes.has(node));
      for (const f of facts) f.users = f.nodes.flatMap((n) => users.get(n) ?? []).sort((a, b) => a.pid - b.pid || a.node.localeCompare(b.node));
    }
    const groups = await this.readGroups(facts);
    const pci = facts.map((f): PciDevice => {
      const groupMembers = f.iommuGroup === null ? [] : (groups.get(f.iommuGroup) ?? []);
      const verdict = worstVerdict(deviceItems(f, groupMembers, facts, iommu).map((i) => i.verdict));
      // Host bridges (0x0600) are no ports, but nobody passes them either: the list says bridge.
      const readiness = f.bridge || f.classCode.startsWith('06') ? 'bridge' : verdict === 'pass' ? 'ready' : verdict === 'warn' ? 'warn' : 'blocked';
      return { ...shownOf(f), groupMembers, readiness };
    });
    const inventory: DeviceInventory = {
      generatedAt: (this.deps.now?.() ?? new Date()).toISOString(),
      iommuActive: iommu.active,
      pci,
      usb: await readUsbDevices(roots, usbNames),
    };
    return { inventory, facts, iommu };
  }

  /** Each group's members as /sys/kernel/iommu_groups/N/devices lists them. */
  private async readGroups(facts: PciFacts[]): Promise<Map<number, IommuGroupMember[]>> {
    const byAddress = new Map(facts.map((f) => [f.address, f]));
    const groups = new Map<number, IommuGroupMember[]>();
    for (const id of new Set(facts.map((f) => f.iommuGroup).filter((g): g is number => g !== null))) {
      const listed = (await listHostDir(this.deps.roots, `/sys/kernel/iommu_groups/${id}/devices`)) ?? [];
      groups.set(id, listed.map((address) => {
        const f = byAddress.get(address);
        return {
          address,
          classCode: f?.classCode ?? '',
          className: f?.className ?? null,
          name: f?.deviceName ?? null,
          driver: f?.driver ?? null,
          bridge: f?.bridge ?? false,
        };
      }));
    }
    return groups;
  }
}

/** The facts the contract shows: the inventory's own flags stay inside. */
function shownOf(f: PciFacts): Omit<PciDevice, 'groupMembers' | 'readiness'> {
  const shown: Partial<PciFacts> = { ...f };
  delete shown.bridge;
  delete shown.hasRom;
  return shown as Omit<PciDevice, 'groupMembers' | 'readiness'>;
}
