// Container Device Interface specs: how a vendor's toolkit (NVIDIA's `nvidia-ctk cdi
// generate`) says what a container needs to use a device: its nodes (/dev/nvidia0,
// /dev/nvidiactl, ...), the driver's libraries bind-mounted in, environment and hooks.
// A capsule naming `nvidia.com/gpu=0` (or `=all`) gets exactly what the spec lists, as
// Podman and containerd give it. Specs are read from the standard folders at each start,
// YAML or JSON, and trusted only when root owns them and nobody else can write them: a
// spec's hooks run on the host as root, and its mounts reach any host file.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { NovaError } from '../../../src-shared/errors.js';

/** Where CDI specs live; a later folder's spec of the same kind and device wins, as the CDI rules say. */
export const CDI_SPEC_DIRS: readonly string[] = ['/etc/cdi', '/var/run/cdi'];

const MAX_SPEC_BYTES = 4 * 1024 * 1024;

const DeviceNodeSchema = z.object({
  path: z.string(),
  hostPath: z.string().optional(),
});
const MountSchema = z.object({
  hostPath: z.string(),
  containerPath: z.string(),
  options: z.array(z.string()).optional(),
  type: z.string().optional(),
});
const HookSchema = z.object({
  hookName: z.enum(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']),
  path: z.string(),
  args: z.array(z.string()).optional(),
  env: z.array(z.string()).optional(),
  timeout: z.number().int().positive().optional(),
});
const EditsSchema = z.object({
  env: z.array(z.string()).optional(),
  deviceNodes: z.array(DeviceNodeSchema).optional(),
  mounts: z.array(MountSchema).optional(),
  hooks: z.array(HookSchema).optional(),
});
const SpecSchema = z.object({
  cdiVersion: z.string(),
  kind: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/),
  devices: z.array(z.object({ name: z.string(), containerEdits: EditsSchema })),
  containerEdits: EditsSchema.optional(),
});

export type CdiEdits = z.infer<typeof EditsSchema>;
export type CdiHook = z.infer<typeof HookSchema>;

interface LoadedSpec {
  file: string;
  kind: string;
  devices: Map<string, CdiEdits>;
  common: CdiEdits;
}

/** What the capsule is given for its CDI devices, each list without repeats. */
export interface CdiGrant {
  /** Host path and where it appears inside. */
  nodes: Array<{ hostPath: string; path: string }>;
  mounts: Array<{ hostPath: string; containerPath: string; options: string[] }>;
  env: string[];
  hooks: CdiHook[];
}

/**
 * A spec file (or folder) only root can change (or the user the helper runs as, which is
 * root outside tests); anything else is not trusted with a root hook.
 */
async function trusted(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => null);
  return st !== null && !st.isSymbolicLink() && (st.uid === 0 || st.uid === process.getuid?.()) && (st.mode & 0o022) === 0;
}

async function loadDir(dir: string, skipped: string[]): Promise<LoadedSpec[]> {
  const names = ((await readdir(dir).catch(() => [])) as string[]).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
  if (names.length === 0) return [];
  if (!(await trusted(dir))) {
    skipped.push(`${dir} (not owned by root, or writable by others)`);
    return [];
  }
  const specs: LoadedSpec[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const st = await lstat(file).catch(() => null);
    if (!st?.isFile() || st.size > MAX_SPEC_BYTES || !(await trusted(file))) {
      skipped.push(`${file} (not a regular file owned by root and writable only by it)`);
      continue;
    }
    let parsed: z.infer<typeof SpecSchema>;
    try {
      parsed = SpecSchema.parse(parseYaml(await readFile(file, 'utf8')));
    } catch (err) {
      skipped.push(`${file} (${err instanceof z.ZodError ? 'not a CDI spec' : 'not valid YAML or JSON'})`);
      continue;
    }
    specs.push({ file, kind: parsed.kind, devices: new Map(parsed.devices.map((d) => [d.name, d.containerEdits])), common: parsed.containerEdits ?? {} });
  }
  return specs;
}

/** A CDI device reference: "nvidia.com/gpu=0" as kind and name. */
export function splitCdiName(reference: string): { kind: string; name: string } | null {
  const m = /^([A-Za-z0-9][A-Za-z0-9.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*)=([A-Za-z0-9][A-Za-z0-9_.:-]*)$/.exec(reference);
  return m ? { kind: m[1] as string, name: m[2] as string } : null;
}

function absolute(path: string, what: string, file: string): string {
  if (!isAbsolute(path) || path.split('/').includes('..')) throw new NovaError('failed_precondition', `The CDI spec ${file} gives ${what} "${path}", which is not an absolute path: fix the spec (nvidia-ctk cdi generate makes a good one)`);
  return path;
}

/** Adds a spec's edits to the grant, skipping what it has already. */
function addEdits(grant: CdiGrant, edits: CdiEdits, file: string): void {
  for (const n of edits.deviceNodes ?? []) {
    const path = absolute(n.path, 'a device node', file);
    if (!grant.nodes.some((g) => g.path === path)) grant.nodes.push({ hostPath: absolute(n.hostPath ?? n.path, 'a device node', file), path });
  }
  for (const m of edits.mounts ?? []) {
    const options = m.options ?? ['ro', 'nosuid', 'nodev', 'bind'];
    // Only binds: a spec's other mount types would mount filesystems of its choosing.
    if (!options.includes('bind') && !options.includes('rbind')) throw new NovaError('failed_precondition', `The CDI spec ${file} mounts ${m.containerPath} without bind; Nova gives capsules bind mounts only`);
    const containerPath = absolute(m.containerPath, 'a mount target', file);
    if (!grant.mounts.some((g) => g.containerPath === containerPath)) grant.mounts.push({ hostPath: absolute(m.hostPath, 'a mount source', file), containerPath, options });
  }
  for (const e of edits.env ?? []) {
    const key = e.split('=')[0];
    if (!grant.env.some((g) => g.split('=')[0] === key)) grant.env.push(e);
  }
  for (const h of edits.hooks ?? []) {
    absolute(h.path, 'a hook', file);
    if (!grant.hooks.some((g) => JSON.stringify(g) === JSON.stringify(h))) grant.hooks.push(h);
  }
}

/**
 * What `references` ("nvidia.com/gpu=0", ...) give a capsule, from the specs in `dirs`.
 * `optional` names are skipped when no spec has them (the "all" of `gpus = "all"`).
 */
export async function resolveCdiDevices(dirs: readonly string[], references: readonly string[], optional: readonly string[] = []): Promise<CdiGrant> {
  const grant: CdiGrant = { nodes: [], mounts: [], env: [], hooks: [] };
  const wanted = [...references, ...optional];
  if (wanted.length === 0) return grant;
  const skipped: string[] = [];
  const specs = (await Promise.all(dirs.map((d) => loadDir(d, skipped)))).flat();
  const commonAdded = new Set<string>();
  for (const reference of wanted) {
    const ref = splitCdiName(reference);
    if (!ref) throw new NovaError('invalid_argument', `"${reference}" is not a CDI device name such as "nvidia.com/gpu=0"`);
    // The last folder's spec that has the device wins.
    const spec = specs.filter((s) => s.kind === ref.kind && s.devices.has(ref.name)).at(-1);
    if (!spec) {
      if (optional.includes(reference)) continue;
      const known = specs.filter((s) => s.kind === ref.kind).flatMap((s) => [...s.devices.keys()].map((n) => `${s.kind}=${n}`));
      const why = known.length > 0 ? `; this host has ${known.join(', ')}` : `: no CDI spec in ${dirs.join(' or ')} names ${ref.kind}${ref.kind === 'nvidia.com/gpu' ? ' (make one with: nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml)' : ''}`;
      throw new NovaError('not_found', `No CDI device ${reference}${why}${skipped.length > 0 ? `. Not trusted: ${skipped.join('; ')}` : ''}`, { device: reference });
    }
    if (!commonAdded.has(spec.file)) {
      addEdits(grant, spec.common, spec.file);
      commonAdded.add(spec.file);
    }
    addEdits(grant, spec.devices.get(ref.name) as CdiEdits, spec.file);
  }
  return grant;
}
