// The firmware, TPM and Hyper-V a new VM gets from what its caller asked and its OS
// profile, decided once here so the helper, the plan's diffs and the wizard agree. Nova's
// own `windows11` profile is known here; the helper adds osinfo-db's resources for every
// other OS id (helper/src/vm/os-profiles.ts).
import { NovaError } from './errors.js';
import type { Firmware } from './vm.js';
import type { DiskBus, NicModel } from './vm-devices.js';

/** What Windows 11 asks of its machine (Microsoft's published floor; osinfo-db's win11 agrees). */
export const WINDOWS_11 = {
  id: 'windows11',
  osinfoId: 'win11',
  osType: 'windows',
  firmware: 'uefi-secure',
  machine: 'q35',
  tpm: true,
  hyperv: true,
  cpus: 2,
  memoryMiB: 4096,
  diskMiB: 64 * 1024,
} as const;

/** Nova's profile names beside osinfo's: `windows11` is osinfo's `win11`. */
export function osinfoIdOf(os: string): string {
  return os === WINDOWS_11.id ? WINDOWS_11.osinfoId : os;
}

export function isWindows11(os: string | undefined): boolean {
  return os !== undefined && osinfoIdOf(os) === WINDOWS_11.osinfoId;
}

export function isUefi(firmware: Firmware): boolean {
  return firmware !== 'bios';
}

export interface PlatformAsked {
  os?: string | undefined;
  firmware?: Firmware | undefined;
  secureBoot?: boolean | undefined;
  tpm?: boolean | undefined;
  hyperv?: boolean | undefined;
  machine?: 'q35' | 'microvm' | undefined;
}

export interface Platform {
  firmware: Firmware;
  tpm: boolean;
  hyperv: boolean;
}

/** The firmware a create spec resolves to, without refusing anything (for plan diffs). */
export function firmwareOf(asked: PlatformAsked): Firmware {
  if (asked.firmware) return asked.firmware === 'uefi' && asked.secureBoot ? 'uefi-secure' : asked.firmware;
  return asked.secureBoot || isWindows11(asked.os) ? 'uefi-secure' : 'bios';
}

/** The VM's platform, or a clear refusal of a combination no machine has. */
export function resolvePlatform(asked: PlatformAsked): Platform {
  const win11 = isWindows11(asked.os);
  const firmware = firmwareOf(asked);
  if (asked.secureBoot && asked.firmware === 'bios') {
    throw new NovaError('invalid_argument', 'Secure Boot needs UEFI firmware, and firmware "bios" has none: choose firmware "uefi-secure" (or leave firmware unset)', { field: 'secureBoot' });
  }
  if (asked.secureBoot === false && asked.firmware === 'uefi-secure') {
    throw new NovaError('invalid_argument', 'firmware "uefi-secure" is Secure Boot; secureBoot = false contradicts it: choose firmware "uefi"', { field: 'secureBoot' });
  }
  if (win11 && firmware === 'bios') {
    throw new NovaError('invalid_argument', `Windows 11 needs UEFI with Secure Boot; firmware "bios" cannot boot its installer: choose firmware "uefi-secure" (or leave firmware unset for os "${asked.os}")`, { field: 'firmware' });
  }
  const tpm = asked.tpm ?? win11;
  if (asked.machine === 'microvm') {
    if (isUefi(firmware)) throw new NovaError('invalid_argument', `machine "microvm" has no flash for UEFI firmware: use machine "q35" for firmware "${firmware}"`, { field: 'firmware' });
    if (tpm) throw new NovaError('invalid_argument', 'machine "microvm" has no TPM bus: use machine "q35" for a TPM', { field: 'tpm' });
  }
  return { firmware, tpm, hyperv: asked.hyperv ?? win11 };
}

/** The devices a new VM gets for its OS, beyond its platform. */
export interface DeviceDefaults {
  diskBus: DiskBus;
  nicModel: NicModel;
  tablet: boolean;
  guestAgent: boolean;
}

/**
 * What an OS's installer finds without extra drivers. Windows 11's has none for virtio:
 * its disk is SATA and its NIC an e1000e, unless a driver ISO (virtio-win) comes along as
 * a second CD, whose drivers let the disk be virtio. A USB tablet keeps its pointer with
 * the console's; virtio-win also carries the guest agent, so its channel is there.
 */
export function deviceDefaultsOf(os: string | undefined, driverIso: boolean): DeviceDefaults {
  if (isWindows11(os)) return { diskBus: driverIso ? 'virtio' : 'sata', nicModel: 'e1000e', tablet: true, guestAgent: true };
  return { diskBus: 'virtio', nicModel: 'virtio', tablet: false, guestAgent: false };
}
