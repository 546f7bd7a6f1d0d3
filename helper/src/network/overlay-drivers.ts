// Which overlay drivers this host can provide: vxlan when the kernel has it; wireguard
// (VXLAN inside a WireGuard tunnel) when it also has `wg` and either the kernel's
// WireGuard module or wireguard-go, which stands in for it in user space.
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The directories the helper's children search (command-runner.ts runs them with this PATH). */
const TOOL_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function kernelHas(module: string, relPath: string): Promise<boolean> {
  if (await exists(`/sys/module/${module}`)) return true;
  try {
    const release = (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
    const builtin = await readFile(`/lib/modules/${release}/modules.builtin`, 'utf8').catch(() => '');
    if (builtin.split('\n').some((l) => l.trim() === `kernel/${relPath}`)) return true;
    return await exists(`/lib/modules/${release}/kernel/${relPath}`);
  } catch {
    return false;
  }
}

async function hasTool(name: string): Promise<boolean> {
  for (const dir of TOOL_DIRS) {
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this one
    }
  }
  return false;
}

export async function probeOverlayDrivers(): Promise<string[]> {
  const drivers: string[] = [];
  if (!(await kernelHas('vxlan', 'drivers/net/vxlan/vxlan.ko'))) return drivers;
  drivers.push('vxlan');
  const tunnel = (await kernelHas('wireguard', 'drivers/net/wireguard/wireguard.ko')) || ((await hasTool('wireguard-go')) && (await exists('/dev/net/tun')));
  if (tunnel && (await hasTool('wg'))) drivers.push('wireguard');
  return drivers;
}
