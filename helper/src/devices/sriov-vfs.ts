// SR-IOV virtual functions on a physical function (VFIO.md 1.5 and 3): enabling N VFs
// with autoprobe off first, so no host driver grabs them and each stays free for a
// guest (it then binds to vfio-pci like any device, through the binder), and giving
// them back. The kernel's write rules are checked before any write: above
// sriov_totalvfs is ERANGE, and a non-zero count cannot change without going to 0
// first (EBUSY) - which Nova never does on its own, since VFs may be in use.
import { NovaError } from '../../../src-shared/errors.js';
import { errnoOf, type HostIO } from './host-io.js';

const PCI_DEVICES = '/sys/bus/pci/devices';

export interface SriovState {
  totalVfs: number;
  numVfs: number;
  autoprobe: boolean;
  /** The VFs' addresses, virtfn0 first. */
  vfs: string[];
}

/** null: the device has no SR-IOV capability. */
export async function readSriov(io: HostIO, pf: string): Promise<SriovState | null> {
  const dir = `${PCI_DEVICES}/${pf}`;
  const total = await io.readText(`${dir}/sriov_totalvfs`);
  if (total === null) return null;
  const entries = ((await io.list(dir)) ?? []).filter((e) => /^virtfn\d+$/.test(e)).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  const vfs: string[] = [];
  for (const e of entries) {
    const target = await io.readLink(`${dir}/${e}`);
    if (target !== null) vfs.push(target.split('/').pop()!);
  }
  return {
    totalVfs: Number(total.trim()),
    numVfs: Number((await io.readText(`${dir}/sriov_numvfs`))?.trim() ?? '0'),
    autoprobe: (await io.readText(`${dir}/sriov_drivers_autoprobe`))?.trim() !== '0',
    vfs,
  };
}

async function sriovOf(io: HostIO, pf: string): Promise<SriovState> {
  const state = await readSriov(io, pf);
  if (state === null) throw new NovaError('failed_precondition', `${pf} has no SR-IOV capability (no sriov_totalvfs): it cannot make virtual functions`, { address: pf });
  return state;
}

/**
 * Makes `count` VFs on `pf` and returns their addresses. Already that many: nothing is
 * written. Autoprobe goes off first and stays off, so the VFs come up with no driver.
 */
export async function enableVfs(io: HostIO, pf: string, count: number): Promise<string[]> {
  const state = await sriovOf(io, pf);
  if (!Number.isInteger(count) || count < 1) throw new NovaError('invalid_argument', `a VF count is a whole number from 1 (got ${count}); disabling takes 0 through disableVfs`);
  if (count > state.totalVfs) throw new NovaError('invalid_argument', `${pf} supports at most ${state.totalVfs} virtual functions (sriov_totalvfs); ${count} asked for`, { address: pf });
  if (state.numVfs === count) return state.vfs;
  if (state.numVfs !== 0) {
    throw new NovaError('failed_precondition', `${pf} has ${state.numVfs} virtual functions already; the kernel changes the count only through 0, which removes them from whatever uses them: disable them first`, { address: pf });
  }
  const dir = `${PCI_DEVICES}/${pf}`;
  if (state.autoprobe) await io.writeAttr(`${dir}/sriov_drivers_autoprobe`, '0\n');
  try {
    await io.writeAttr(`${dir}/sriov_numvfs`, `${count}\n`);
  } catch (err) {
    throw kernelRefusal(err, pf, count);
  }
  return (await sriovOf(io, pf)).vfs;
}

/** All VFs of `pf` gone (0 to sriov_numvfs); autoprobe back on as the kernel's default. */
export async function disableVfs(io: HostIO, pf: string): Promise<void> {
  const state = await sriovOf(io, pf);
  const dir = `${PCI_DEVICES}/${pf}`;
  if (state.numVfs !== 0) await io.writeAttr(`${dir}/sriov_numvfs`, '0\n');
  if (!state.autoprobe) await io.writeAttr(`${dir}/sriov_drivers_autoprobe`, '1\n');
}

/** The first VF no driver holds (and no one has taken): the one to pass to a guest. */
export async function freeVf(io: HostIO, pf: string, taken: ReadonlySet<string> = new Set()): Promise<string | null> {
  for (const vf of (await sriovOf(io, pf)).vfs) {
    if (!taken.has(vf) && (await io.readLink(`${PCI_DEVICES}/${vf}/driver`)) === null) return vf;
  }
  return null;
}

function kernelRefusal(err: unknown, pf: string, count: number): NovaError {
  switch (errnoOf(err)) {
    case 'ENOENT':
      return new NovaError('failed_precondition', `${pf} has no driver, or its driver cannot make virtual functions: bind its host driver first`, { address: pf });
    case 'ERANGE':
      return new NovaError('invalid_argument', `${pf} cannot make ${count} virtual functions (the kernel said ERANGE)`, { address: pf });
    case 'EBUSY':
      return new NovaError('failed_precondition', `${pf}'s virtual functions changed meanwhile; disable them and try again`, { address: pf });
    default:
      return new NovaError('internal', `making ${count} virtual functions on ${pf} failed: ${(err as Error).message}`, { address: pf });
  }
}

