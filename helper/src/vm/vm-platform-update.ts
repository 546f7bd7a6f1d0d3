// The platform half of `vm.update`: firmware, Secure Boot, TPM and Hyper-V of a stopped
// VM, with the refusals no machine can take (a second TPM, Secure Boot on BIOS, the
// combinations vm-platform.ts refuses at create). These are the machine's own at power-on,
// so a running VM is told to stop rather than given a pending change: a new firmware must
// start from its own template's UEFI variables, and those are in use while QEMU runs.
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition, VmUpdateSpec } from '../../../src-shared/vm.js';
import { isUefi, resolvePlatform } from '../../../src-shared/vm-platform.js';
import type { VmLayout } from './vm-layout.js';

export interface PlatformChange {
  next: VmDefinition;
  /** Files in the VM's folder that the new platform no longer has, removed once the definition is saved. */
  stale: string[];
}

export function asksPlatformChange(spec: VmUpdateSpec): boolean {
  return spec.firmware !== undefined || spec.secureBoot !== undefined || spec.tpm !== undefined || spec.hyperv !== undefined;
}

export function platformUpdate(def: VmDefinition, spec: VmUpdateSpec, running: boolean, layout: VmLayout): PlatformChange {
  if (!asksPlatformChange(spec)) return { next: def, stale: [] };
  const name = def.name;
  if (running) {
    throw new NovaError('failed_precondition', `VM ${name} is running: stop it to change its firmware, Secure Boot, TPM or Hyper-V (the machine takes them at power-on)`);
  }
  if (spec.tpm === true && def.tpm === true) {
    throw new NovaError('already_exists', `VM ${name} already has a TPM 2.0, and a VM has only one; its state is kept in ${layout.tpmStateDir(name)}`, { field: 'tpm' });
  }
  if (spec.secureBoot === true && spec.firmware === undefined && def.firmware === 'bios') {
    throw new NovaError('invalid_argument', `VM ${name} has firmware "bios", which has no Secure Boot: set firmware "uefi-secure" instead`, { field: 'secureBoot' });
  }
  // secureBoot = false on a Secure Boot VM keeps UEFI, without the enforcement.
  const firmware = spec.firmware ?? (spec.secureBoot === false && def.firmware === 'uefi-secure' ? 'uefi' : def.firmware);
  const machine = spec.machine ?? def.machine;
  const platform = resolvePlatform({ firmware, secureBoot: spec.secureBoot, os: def.os, machine, tpm: spec.tpm ?? def.tpm === true, hyperv: spec.hyperv ?? def.hyperv === true });
  const next: VmDefinition = { ...def, firmware: platform.firmware };
  setFlag(next, 'tpm', platform.tpm);
  setFlag(next, 'hyperv', platform.hyperv);
  const stale: string[] = [];
  // Variables from another template: plain UEFI's have no Secure Boot keys enrolled, and BIOS has none at all.
  if (isUefi(def.firmware) && def.firmware !== next.firmware) stale.push(layout.runtimePaths(name).uefiVars);
  if (def.tpm === true && next.tpm !== true) stale.push(layout.tpmStateDir(name));
  return { next, stale };
}

/** Absent rather than false, as definitions without the feature have always been written. */
function setFlag(def: VmDefinition, key: 'tpm' | 'hyperv', on: boolean): void {
  if (on) def[key] = true;
  else delete def[key];
}
