// The devices feature's composition root: inventory, binder, journal, reservations and
// the passthrough service over one HostIO, and the recovery the helper runs at start
// (bindings no living QEMU holds are restored and released), and the watch that tells
// when the host's devices change.
import type { Logger } from '../util/logger.js';
import { readFile } from 'node:fs/promises';
import type { HostRoots } from '../host-check/host-probe-env.js';
import type { OperationManager } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { isSameProcess, processStartTime } from '../util/proc-stat.js';
import { DeviceInventoryService } from './device-inventory.js';
import { DeviceJournal } from './device-journal.js';
import { type DeviceChange, DeviceWatch, deviceTreeFingerprint } from './device-watch.js';
import { DevicePassthrough } from './device-passthrough.js';
import { DeviceReservations } from './device-reservations.js';
import { type HostIO, realHostIO } from './host-io.js';
import { type UeventSource, udevadmUevents } from './uevent-monitor.js';
import { VfioBinder } from './vfio-binder.js';
import { parseMemlockHard, type VmDevicePort, VmDevices } from './vm-devices.js';
import { VmNodeHandover } from './vm-node-handover.js';

export interface DevicesDeps {
  stateDir: string;
  roots: HostRoots;
  operations: OperationManager;
  processes: ProcessRunner;
  logger: Logger;
  isRoot: boolean;
  /** Tests hand in the fake kernel's IO; the real host's otherwise. */
  io?: HostIO;
  /** False on a test's fake device host (see VmDevicesDeps.pinsMemory). */
  pinsMemory?: boolean;
  /** Where uevents come from: `udevadm monitor` on the real host, a file on a test's fake one. */
  uevents?: UeventSource;
  /** Told after the devices changed (and the inventory's cache was dropped). */
  onChanged?: (change: DeviceChange) => void;
}

export interface Devices {
  inventory: DeviceInventoryService;
  passthrough: DevicePassthrough;
  /** What a VM's start and end call. */
  vms: VmDevicePort;
  io: HostIO;
  /** The USB nodes and Looking Glass file a user's QEMU is handed. */
  nodes: VmNodeHandover;
  recover(): Promise<void>;
  /** Starts telling device changes (uevents, or rescans where there are none). */
  watch(): Promise<void>;
  close(): Promise<void>;
}

export async function createDevices(deps: DevicesDeps): Promise<Devices> {
  const io = deps.io ?? realHostIO(deps.roots);
  const log = (message: string) => deps.logger.warn(message);
  const inventory = new DeviceInventoryService({ roots: deps.roots, isRoot: deps.isRoot });
  const journal = new DeviceJournal(deps.stateDir);
  const binder = new VfioBinder({
    io,
    journal,
    devices: async () => (await inventory.list(true)).pci,
    loadModule: async () => {
      const r = await deps.processes.run({ argv: ['modprobe', 'vfio-pci'], timeoutMs: 30_000 });
      if (r.exitCode !== 0) throw new Error(`modprobe vfio-pci exited ${r.exitCode}: ${r.stderr.trim()}`);
    },
    log,
  });
  const self = { pid: process.pid, startTime: (await processStartTime(process.pid)) ?? '0' };
  const reservations = new DeviceReservations({ journal, binder, isAlive: (pid, start) => isSameProcess(pid, start), self, log });
  const passthrough = new DevicePassthrough({ io, journal, binder, reservations, operations: deps.operations });
  const watch = new DeviceWatch({
    source: deps.uevents ?? udevadmUevents(deps.processes),
    fingerprint: () => deviceTreeFingerprint(deps.roots),
    onChanged: (change) => {
      inventory.invalidate();
      deps.onChanged?.(change);
    },
    logger: deps.logger,
  });
  const nodes = new VmNodeHandover({ io, stateDir: deps.stateDir, usbDevices: async () => (await inventory.list(true)).usb, logger: deps.logger });
  return {
    inventory,
    passthrough,
    nodes,
    vms: new VmDevices({
      io,
      inventory,
      passthrough,
      runner: deps.processes,
      logger: deps.logger,
      sysfsRoot: deps.roots.sysRoot,
      helperMemlockHard: async () => parseMemlockHard(await readFile('/proc/self/limits', 'utf8')),
      ...(deps.pinsMemory === false ? { pinsMemory: false } : {}),
      nodes,
    }),
    io,
    async recover() {
      const outcomes = await reservations.recover();
      for (const o of outcomes) {
        if (o.outcome === 'failed') deps.logger.error({ group: o.group, problem: o.detail }, 'a device binding could not be recovered');
        else if (o.outcome !== 'kept') deps.logger.info({ group: o.group, outcome: o.outcome }, 'device binding recovered');
      }
    },
    watch: () => watch.start(),
    close: () => watch.stop(),
  };
}
