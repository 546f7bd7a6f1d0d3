// Small readers for sysfs attributes and links through the host roots: every value
// trimmed, every missing file an ordinary null, links reduced to the name they end in.
import { readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { readHostFile } from '../host-check/host-fs.js';
import { type HostRoots, hostPath } from '../host-check/host-probe-env.js';

export async function readAttr(roots: HostRoots, path: string): Promise<string | null> {
  return (await readHostFile(roots, path))?.trim() ?? null;
}

/** The link's target as the kernel wrote it, or null when there is no link. */
export async function readLinkTarget(roots: HostRoots, path: string): Promise<string | null> {
  try {
    return await readlink(hostPath(roots, path));
  } catch {
    return null;
  }
}

/** The last part of a link's target: a driver's name, a group's number, a device's address. */
export async function readLinkName(roots: HostRoots, path: string): Promise<string | null> {
  const target = await readLinkTarget(roots, path);
  return target === null ? null : basename(target);
}

/** "0x10de" -> "10de"; hex attributes come with 0x and a newline. */
export function hexAttr(value: string | null): string | null {
  return value === null ? null : value.toLowerCase().replace(/^0x/, '');
}

export function intAttr(value: string | null): number | null {
  if (value === null || !/^-?\d+$/.test(value)) return null;
  return Number(value);
}
