// The QEMU installation VMs are built from: qemu-system-x86_64 (and the other system
// emulators found beside it), qemu-img for disks, and OVMF firmware for UEFI guests.
import { readdir } from 'node:fs/promises';
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { listHostDir } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';
import { toolVersion } from './tool-output.js';

const INSTALL_QEMU = 'Install QEMU: apt install qemu-system-x86 qemu-utils (Fedora: dnf install qemu-kvm qemu-img)';

export async function checkQemuInstall(env: HostProbeEnv): Promise<HostCheckItem[]> {
  const [qemuItem, imgItem, ovmf] = await Promise.all([qemuSystemItem(env), qemuImgItem(env), ovmfItem(env)]);
  return [qemuItem, imgItem, ovmf];
}

/** "QEMU emulator version 7.2.22 (Debian ...)" -> "7.2.22" */
export function parseQemuVersion(line: string): string | null {
  return /version\s+(\d+\.\d+(?:\.\d+)?)/.exec(line)?.[1] ?? null;
}

async function otherSystemEmulators(env: HostProbeEnv): Promise<string[]> {
  const found = new Set<string>();
  for (const dir of env.binDirs) {
    try {
      for (const name of await readdir(dir)) {
        if (name.startsWith('qemu-system-') && name !== 'qemu-system-x86_64') found.add(name);
      }
    } catch {
      // a PATH entry that does not exist
    }
  }
  return [...found].sort();
}

async function qemuSystemItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'QEMU';
  const [path, others] = await Promise.all([env.which('qemu-system-x86_64'), otherSystemEmulators(env)]);
  const othersLine = `other system emulators: ${others.length > 0 ? others.join(', ') : 'none'}`;
  if (!path) {
    return checkItem('qemu', 'virtualization', label, {
      status: 'fail',
      summary: 'qemu-system-x86_64 is not installed: VMs cannot run',
      evidence: [`qemu-system-x86_64: not found in ${env.binDirs.join(':')}`, othersLine],
      remedy: INSTALL_QEMU,
    });
  }
  const v = await toolVersion(env, path);
  if (!v.ok) {
    return checkItem('qemu', 'virtualization', label, {
      status: 'fail',
      summary: 'qemu-system-x86_64 is installed but does not run',
      evidence: [`${path} --version: ${v.error}`, othersLine],
      remedy: 'Reinstall QEMU (its libraries may be missing or mismatched)',
    });
  }
  const version = parseQemuVersion(v.line);
  return checkItem('qemu', 'virtualization', label, {
    status: 'ok',
    summary: `qemu-system-x86_64 ${version ?? v.line}`,
    evidence: [`${path}: ${v.line}`, othersLine],
  });
}

async function qemuImgItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'qemu-img';
  const path = await env.which('qemu-img');
  if (!path) {
    return checkItem('qemu-img', 'virtualization', label, {
      status: 'fail',
      summary: 'qemu-img is not installed: disks cannot be created or converted',
      evidence: ['qemu-img: not found in PATH'],
      remedy: 'Install it: apt install qemu-utils (Fedora: dnf install qemu-img)',
    });
  }
  const v = await toolVersion(env, path);
  if (!v.ok) {
    return checkItem('qemu-img', 'virtualization', label, {
      status: 'fail',
      summary: 'qemu-img is installed but does not run',
      evidence: [`${path} --version: ${v.error}`],
      remedy: 'Reinstall qemu-utils',
    });
  }
  return checkItem('qemu-img', 'virtualization', label, {
    status: 'ok',
    summary: `qemu-img ${parseQemuVersion(v.line) ?? v.line}`,
    evidence: [`${path}: ${v.line}`],
  });
}

// Debian/Ubuntu, Fedora, Arch keep OVMF in different places.
const OVMF_DIRS = ['/usr/share/OVMF', '/usr/share/edk2/ovmf', '/usr/share/edk2/x64'];

async function ovmfItem(env: HostProbeEnv): Promise<HostCheckItem> {
  const label = 'UEFI firmware (OVMF)';
  const found: string[] = [];
  for (const dir of OVMF_DIRS) {
    for (const name of (await listHostDir(env, dir)) ?? []) {
      if (/^OVMF_CODE.*\.fd$/.test(name)) found.push(`${dir}/${name}`);
    }
  }
  if (found.length === 0) {
    return checkItem('ovmf', 'virtualization', label, {
      status: 'warn',
      summary: 'No OVMF firmware: UEFI VMs (Windows 11, Secure Boot) are unavailable; BIOS VMs work',
      evidence: [`no OVMF_CODE*.fd in ${OVMF_DIRS.join(', ')}`],
      remedy: 'Install it: apt install ovmf (Fedora: dnf install edk2-ovmf)',
    });
  }
  const secureBoot = found.some((p) => /secboot|\.ms\./.test(p));
  return checkItem('ovmf', 'virtualization', label, {
    status: 'ok',
    summary: `${found.length} OVMF firmware image${found.length === 1 ? '' : 's'}${secureBoot ? ', Secure Boot capable' : ''}`,
    evidence: found,
  });
}
