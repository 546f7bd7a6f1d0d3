// A capsule's GPUs on this host: the /dev/dri nodes its spec names (or all of them), and
// CDI devices ("nvidia.com/gpu=0": nodes, driver libraries, env and hooks from the vendor's
// spec, cdi-specs.ts); each node checked to be a character device and read for its major
// and minor, which the OCI config's linux.devices and its device cgroup rule need
// (oci-config.ts). Read at every start: node numbers are the kernel's, not the spec's,
// and a GPU may be gone.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { CapsuleGpus } from '../../../src-shared/capsule-gpus.js';
import { resolveCdiDevices, splitCdiName, type CdiGrant } from './cdi-specs.js';

/** One node as the OCI config's linux.devices takes it. */
export interface OciDeviceNode {
  /** Inside the capsule: always /dev/dri/NAME, wherever the host's /dev is. */
  path: string;
  type: 'c';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

const NODE_PATTERN = /^(renderD|card)[0-9]{1,3}$/;

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor), for the numbers stat gives. */
export function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
export function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

/** What a capsule's `gpus` give it: device nodes, and the rest of its CDI devices' edits. */
export interface CapsuleGpuGrant {
  nodes: OciDeviceNode[];
  cdi: Omit<CdiGrant, 'nodes'>;
}

/** The NVIDIA toolkit's name for every GPU it lists, taken by `gpus = "all"` when a spec has it. */
const NVIDIA_ALL = 'nvidia.com/gpu=all';

/** `roots.devRoot`: the host's /dev; `roots.cdiDirs`: where CDI specs are read (a test's own in tests). */
export async function resolveCapsuleGpus(roots: { devRoot: string; cdiDirs: readonly string[] }, gpus: CapsuleGpus): Promise<CapsuleGpuGrant> {
  const dri = join(roots.devRoot, 'dri');
  const all = gpus === 'all';
  const cdiNames = all ? [] : gpus.filter((g) => splitCdiName(g) !== null);
  const names = all ? ((await readdir(dri).catch(() => [])) as string[]).filter((n) => NODE_PATTERN.test(n)).sort() : [...new Set(gpus.filter((g) => splitCdiName(g) === null))];
  const nodes: OciDeviceNode[] = [];
  for (const name of names) {
    const st = await lstat(join(dri, name)).catch(() => null);
    if (st === null && !all) throw new NovaError('not_found', `This host has no /dev/dri/${name}; ls /dev/dri shows the GPU nodes it has`, { node: name });
    // A regular file or a link there is no GPU: giving it would hand the capsule whatever it
    // names. Named, it is refused; under "all", it is simply not one of the GPUs.
    if (st !== null && !st.isCharacterDevice() && !all) throw new NovaError('invalid_argument', `/dev/dri/${name} is not a character device, so it is no GPU node; refusing to give it to a capsule`, { node: name });
    if (st === null || !st.isCharacterDevice()) continue;
    nodes.push({ path: `/dev/dri/${name}`, type: 'c', major: devMajor(st.rdev), minor: devMinor(st.rdev), fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid });
  }
  const { nodes: cdiNodes, ...cdi } = await resolveCdiDevices(roots.cdiDirs, [...new Set(cdiNames)], all ? [NVIDIA_ALL] : []);
  for (const n of cdiNodes) {
    const st = await lstat(n.hostPath).catch(() => null);
    // A spec naming a node the host lacks: the driver is not loaded, or the spec is stale.
    if (!st?.isCharacterDevice()) throw new NovaError('not_found', `The CDI spec gives ${n.path}, but ${n.hostPath} is ${st ? 'not a character device' : 'not on this host'}: is the driver loaded? Regenerate the spec if the GPUs changed`, { node: n.hostPath });
    if (nodes.some((d) => d.path === n.path)) continue;
    nodes.push({ path: n.path, type: 'c', major: devMajor(st.rdev), minor: devMinor(st.rdev), fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid });
  }
  if (nodes.length === 0) throw new NovaError('not_found', 'This host has no GPU device nodes in /dev/dri (no GPU driver is loaded) and no CDI spec with nvidia.com/gpu=all: the capsule cannot be given "all" GPUs');
  return { nodes, cdi };
}
