// Which overlay drivers this host can provide: vxlan when the kernel has it, wireguard
// when its module is present (not implemented by Nova yet, so never offered).
import { access, readFile } from 'node:fs/promises';

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

export async function probeOverlayDrivers(): Promise<string[]> {
  const drivers: string[] = [];
  if (await kernelHas('vxlan', 'drivers/net/vxlan/vxlan.ko')) drivers.push('vxlan');
  return drivers;
}
