// Which OVMF build a UEFI VM boots and which variables template its own NVRAM starts
// from: the plain build with empty variables for `uefi`, the Secure Boot build with
// Microsoft's keys enrolled (Debian's `ms` template) for `uefi-secure`, as virt-manager
// and Proxmox pair them. The host's paths are found once at helper start.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { Firmware } from '../../../src-shared/vm.js';

export interface OvmfImages {
  /** Read-only code (pflash0). */
  code: string;
  /** Copied into the VM's folder at create: its NVRAM (pflash1). */
  vars: string;
}

export type UefiFirmware = Exclude<Firmware, 'bios'>;
export type FirmwareImages = Partial<Record<UefiFirmware, OvmfImages>>;

/** Debian's ovmf package (the 4 MiB builds; the 2 MiB ones cannot hold Secure Boot's keys comfortably). */
export function debianOvmf(dir = '/usr/share/OVMF'): Record<UefiFirmware, OvmfImages> {
  return {
    uefi: { code: join(dir, 'OVMF_CODE_4M.fd'), vars: join(dir, 'OVMF_VARS_4M.fd') },
    'uefi-secure': { code: join(dir, 'OVMF_CODE_4M.secboot.fd'), vars: join(dir, 'OVMF_VARS_4M.ms.fd') },
  };
}

/** The builds whose both files exist on this host. */
export function installedOvmf(dir = '/usr/share/OVMF'): FirmwareImages {
  const out: FirmwareImages = {};
  for (const [fw, files] of Object.entries(debianOvmf(dir)) as Array<[UefiFirmware, OvmfImages]>) {
    if (existsSync(files.code) && existsSync(files.vars)) out[fw] = files;
  }
  return out;
}

/** The images for a VM's firmware; null for BIOS. Refuses a UEFI firmware this host lacks. */
export function imagesFor(images: FirmwareImages, firmware: Firmware): OvmfImages | null {
  if (firmware === 'bios') return null;
  const found = images[firmware];
  if (!found) {
    const what = firmware === 'uefi-secure' ? 'UEFI with Secure Boot needs OVMF_CODE_4M.secboot.fd and OVMF_VARS_4M.ms.fd' : 'UEFI firmware needs OVMF_CODE_4M.fd and OVMF_VARS_4M.fd';
    throw new NovaError('unsupported', `${what}: install the ovmf package`, { firmware });
  }
  return found;
}
