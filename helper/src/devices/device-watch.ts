// Keeps the device inventory current: kernel uevents (uevent-monitor.ts) are gathered for
// a moment, since one bind or hot-plug makes several, and told once as a change of the
// subsystems they touched. Where uevents cannot be read (no udevadm, netlink refused) or
// stop coming, a periodic rescan compares a cheap fingerprint of the device tree instead,
// so a change is still seen, only later. device-service.ts wires it to `device.changed`.
import { readlink } from 'node:fs/promises';
import { listHostDir } from '../host-check/host-fs.js';
import { type HostRoots, hostPath } from '../host-check/host-probe-env.js';
import type { Logger } from '../util/logger.js';
import type { UeventSource, WatchedSubsystem } from './uevent-monitor.js';

export interface DeviceChange {
  subsystems: WatchedSubsystem[];
  via: 'uevent' | 'rescan';
}

export interface DeviceWatchDeps {
  /** Null where no source can exist: rescans only. */
  source: UeventSource | null;
  /** What the rescans compare: changes whenever a device comes, goes or changes driver. */
  fingerprint: () => Promise<Record<WatchedSubsystem, string>>;
  onChanged: (change: DeviceChange) => void;
  logger: Logger;
  debounceMs?: number;
  rescanMs?: number;
}

export type WatchMode = 'uevents' | 'rescans' | 'stopped';

export class DeviceWatch {
  private pending = new Set<WatchedSubsystem>();
  private debounce: NodeJS.Timeout | null = null;
  private rescan: NodeJS.Timeout | null = null;
  private last: Record<WatchedSubsystem, string> | null = null;
  private current: WatchMode = 'stopped';

  constructor(private readonly deps: DeviceWatchDeps) {}

  mode(): WatchMode {
    return this.current;
  }

  async start(): Promise<void> {
    const { source, logger } = this.deps;
    if (source) {
      try {
        await source.start(
          (e) => this.queue(e.subsystem),
          (reason) => {
            logger.warn({ reason }, 'device uevents stopped coming: rescanning the device tree periodically instead');
            void this.startRescans();
          },
        );
        this.current = 'uevents';
        logger.info({ source: source.name }, 'watching device uevents');
        return;
      } catch (err) {
        logger.warn({ source: source.name, err: (err as Error).message }, 'cannot read device uevents: rescanning the device tree periodically instead');
      }
    }
    await this.startRescans();
  }

  async stop(): Promise<void> {
    this.current = 'stopped';
    if (this.debounce) clearTimeout(this.debounce);
    if (this.rescan) clearTimeout(this.rescan);
    this.debounce = this.rescan = null;
    await this.deps.source?.stop();
  }

  private queue(subsystem: WatchedSubsystem): void {
    this.pending.add(subsystem);
    this.debounce ??= setTimeout(() => {
      this.debounce = null;
      const subsystems = [...this.pending].sort();
      this.pending.clear();
      if (this.current !== 'stopped') this.deps.onChanged({ subsystems, via: 'uevent' });
    }, this.deps.debounceMs ?? 250);
  }

  private async startRescans(): Promise<void> {
    if (this.rescan !== null) return;
    this.current = 'rescans';
    this.last = await this.deps.fingerprint().catch(() => null);
    const tick = async () => {
      if (this.current !== 'rescans') return;
      const now = await this.deps.fingerprint().catch(() => null);
      if (now && this.last) {
        const subsystems = (Object.keys(now) as WatchedSubsystem[]).filter((s) => now[s] !== this.last![s]).sort();
        if (subsystems.length > 0) this.deps.onChanged({ subsystems, via: 'rescan' });
      }
      if (now) this.last = now;
      if (this.current === 'rescans') this.rescan = setTimeout(() => void tick(), this.deps.rescanMs ?? 5000);
    };
    this.rescan = setTimeout(() => void tick(), this.deps.rescanMs ?? 5000);
  }
}

/** Each watched bus's devices and the driver each is bound to, as one string per subsystem. */
export async function deviceTreeFingerprint(roots: HostRoots): Promise<Record<WatchedSubsystem, string>> {
  const busEntries = async (bus: string, withDriver: boolean) => {
    const entries = (await listHostDir(roots, `/sys/bus/${bus}/devices`)) ?? [];
    if (!withDriver) return entries.join(' ');
    const drivers = await Promise.all(entries.map((e) => readlink(hostPath(roots, `/sys/bus/${bus}/devices/${e}/driver`)).catch(() => '')));
    return entries.map((e, i) => `${e}=${drivers[i]!.slice(drivers[i]!.lastIndexOf('/') + 1)}`).join(' ');
  };
  const [pci, usb, mdev] = await Promise.all([busEntries('pci', true), busEntries('usb', true), busEntries('mdev', false)]);
  return { pci, usb, mdev };
}
