// Library names in a NovaFile: `image = "debian-12-genericcloud"` names an image of the
// helper's library (image.list), as a path names a file. A bare name that is a file beside
// the NovaFile stays that file (files written so before still mean the same); otherwise the
// library's image of that name and the right type; otherwise an error at the key's line and
// column naming the closest library names. Plan and up resolve before anything is compared.
import { NovaError } from '../../../src-shared/errors.js';
import type { ImageListEntry, ImageType } from '../../../src-shared/vm.js';
import { editDistance } from '../novafile/did-you-mean.js';
import type { LibraryNameRef, NovaFileConfig, VmConfig } from '../novafile/novafile-config.js';
import type { Locate } from '../novafile-apply.js';

/** A name the file used, and the library image it stands for (plan shows these). */
export interface ResolvedLibraryImage {
  vm: string;
  /** The NovaFile key, e.g. "vm.web.image" or "vm.web.cdroms[1]". */
  key: string;
  name: string;
  path: string;
}

export interface LibraryFacts {
  images: readonly ImageListEntry[];
  exists(path: string): Promise<boolean>;
}

const SUGGESTIONS = 3;
const ONE: Record<ImageType, string> = { disk: 'a disk', iso: 'an ISO', kernel: 'a kernel', initrd: 'an initrd' };
const MANY: Record<ImageType, string> = { disk: 'disks', iso: 'ISOs', kernel: 'kernels', initrd: 'initrds' };

/** The config with every library name replaced by its image's path, and what was resolved. */
export async function resolveLibraryImages(config: NovaFileConfig, facts: LibraryFacts, locate: Locate): Promise<{ config: NovaFileConfig; resolved: ResolvedLibraryImage[] }> {
  const resolved: ResolvedLibraryImage[] = [];
  const vms: VmConfig[] = [];
  for (const vm of config.vms) {
    let next = vm;
    for (const ref of vm.libraryNames ?? []) {
      const current = valueAt(next, ref.at);
      if (current === undefined || (await facts.exists(current))) continue;
      const key = keyOf(vm.name, ref.at);
      const image = pick(ref, typeAt(ref.at), facts.images, () => locate(['vm', vm.name, ...ref.at]) ?? config.file, key);
      next = withValueAt(next, ref.at, image.path);
      resolved.push({ vm: vm.name, key, name: ref.name, path: image.path });
    }
    vms.push(next);
  }
  return { config: { ...config, vms }, resolved };
}

/** What each key takes: a disk for image and [[disk]] path, an ISO for the CD drives. */
function typeAt(at: LibraryNameRef['at']): ImageType {
  const [first] = at;
  if (first === 'kernel' || first === 'initrd') return first;
  return first === 'image' || first === 'disk' ? 'disk' : 'iso';
}

function pick(ref: LibraryNameRef, type: ImageType, images: readonly ImageListEntry[], where: () => string, key: string): ImageListEntry {
  const found = images.find((i) => i.name === ref.name);
  if (found && found.type === type) return found;
  if (found) {
    throw new NovaError('invalid_argument', `${where()}: ${key} = "${ref.name}" is ${ONE[found.type]} in the library, but ${String(ref.at[0])} takes ${ONE[type]}`);
  }
  const closest = closestNames(ref.name, images.filter((i) => i.type === type).map((i) => i.name));
  const hint = closest.length > 0 ? `closest library ${MANY[type]}: ${closest.join(', ')}` : `the library has no ${MANY[type]} yet: import one with nova image import FILE NAME`;
  throw new NovaError('invalid_argument', `${where()}: ${key} = "${ref.name}" is neither a file beside the NovaFile nor an image in the library; ${hint} (nova image ls lists them)`, {
    suggestions: closest,
  });
}

/** The nearest names first, at most a few, and only those near enough to be meant. */
function closestNames(name: string, candidates: readonly string[]): string[] {
  const scored = candidates.map((c) => ({ c, d: editDistance(name.toLowerCase(), c.toLowerCase()), prefix: c.startsWith(name) || name.startsWith(c) }));
  return scored
    .filter((s) => s.prefix || s.d <= Math.max(2, Math.floor(Math.max(name.length, s.c.length) / 2)))
    .sort((a, b) => Number(b.prefix) - Number(a.prefix) || a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, SUGGESTIONS)
    .map((s) => s.c);
}

function keyOf(vm: string, at: LibraryNameRef['at']): string {
  return `vm.${vm}.${at.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')}`;
}

function valueAt(vm: VmConfig, at: LibraryNameRef['at']): string | undefined {
  const [first, index] = at;
  switch (first) {
    case 'cdroms':
      return vm.cdroms?.[index as number];
    case 'disk':
      return vm.disks?.[index as number]?.path;
    case 'driver_iso':
      return vm.driverIso;
    default:
      return vm[first as 'image' | 'iso' | 'kernel' | 'initrd'];
  }
}

function withValueAt(vm: VmConfig, at: LibraryNameRef['at'], path: string): VmConfig {
  const [first, index] = at;
  switch (first) {
    case 'cdroms':
      return { ...vm, cdroms: vm.cdroms?.map((c, i) => (i === index ? path : c)) };
    case 'disk':
      return { ...vm, disks: vm.disks?.map((d, i) => (i === index ? { ...d, path } : d)) };
    case 'driver_iso':
      return { ...vm, driverIso: path };
    default:
      return { ...vm, [first as string]: path };
  }
}
