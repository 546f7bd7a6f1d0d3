// Which OCI runtime capsules will use, decided by really running a container with
// each one found (crun preferred, as Podman does). Being installed proves little:
// crun, for one, refuses a hybrid cgroup layout where runc works.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { readCgroupLayout, type CgroupMode } from './cgroup-layout.js';
import type { HostProbeEnv } from './host-probe-env.js';
import { writeProbeBundle } from './oci-probe-bundle.js';
import { describeFailure, toolVersion } from './tool-output.js';

/** In order of preference: crun is smaller and faster to start than runc. */
export const OCI_RUNTIMES = ['crun', 'runc'] as const;
export type OciRuntimeName = (typeof OCI_RUNTIMES)[number];

export const OCI_PROBE_TIMEOUT_MS = 10_000;
const DELETE_TIMEOUT_MS = 5_000;
export const PROBE_CONTAINER_PREFIX = 'nv2h-';

export interface RuntimeProbe {
  name: OciRuntimeName;
  path: string | null;
  /** First line of `--version`, or null when not installed or it failed. */
  version: string | null;
  /** null when not installed. */
  works: boolean | null;
  /** One line on why the test container failed, else null. */
  error: string | null;
  durationMs: number | null;
}

export interface OciVerdict {
  ociRuntime: OciRuntimeName | null;
  items: HostCheckItem[];
}

export function selectRuntime(probes: readonly RuntimeProbe[]): OciRuntimeName | null {
  for (const name of OCI_RUNTIMES) {
    if (probes.some((p) => p.name === name && p.works === true)) return name;
  }
  return null;
}

export function probeRunArgv(runtimePath: string, stateRoot: string, bundleDir: string, id: string): string[] {
  return [runtimePath, '--root', stateRoot, 'run', '--bundle', bundleDir, id];
}

export function probeDeleteArgv(runtimePath: string, stateRoot: string, id: string): string[] {
  return [runtimePath, '--root', stateRoot, 'delete', '-f', id];
}

/** Runs the probe container with one runtime; its state lives in a temp dir, never in /run. */
export async function probeRuntime(env: HostProbeEnv, name: OciRuntimeName, timeoutMs = OCI_PROBE_TIMEOUT_MS): Promise<RuntimeProbe> {
  const path = await env.which(name);
  if (!path) return { name, path: null, version: null, works: null, error: null, durationMs: null };
  const v = await toolVersion(env, path);
  const version = v.ok ? v.line : null;
  const dir = await mkdtemp(join(env.tmpDir, `nv2h-oci-${name}-`));
  const id = `${PROBE_CONTAINER_PREFIX}${name}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const stateRoot = join(dir, 'state');
  const bundle = join(dir, 'bundle');
  try {
    await mkdir(stateRoot, { mode: 0o700 });
    await writeProbeBundle(bundle, 'nv2h-probe');
    const r = await env.run(probeRunArgv(path, stateRoot, bundle, id), { timeoutMs });
    const works = r.exitCode === 0;
    return { name, path, version, works, error: works ? null : describeFailure(r, timeoutMs), durationMs: r.durationMs };
  } finally {
    // Always, even after success: a runtime that timed out may have left the container.
    await env.run(probeDeleteArgv(path, stateRoot, id), { timeoutMs: DELETE_TIMEOUT_MS }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Deletes probe containers a killed helper left registered in scratch state roots
 * (delete -f also kills a container process that still runs). Returns their ids.
 */
export async function deleteLeftoverProbeContainers(env: HostProbeEnv, scratchDir: string): Promise<string[]> {
  const deleted: string[] = [];
  const entries = await readdir(scratchDir).catch(() => [] as string[]);
  for (const entry of entries) {
    const name = OCI_RUNTIMES.find((rt) => entry.startsWith(`nv2h-oci-${rt}-`));
    if (!name) continue;
    const stateRoot = join(scratchDir, entry, 'state');
    const ids = (await readdir(stateRoot).catch(() => [] as string[])).filter((id) => id.startsWith(PROBE_CONTAINER_PREFIX));
    const path = ids.length > 0 ? await env.which(name) : null;
    if (!path) continue;
    for (const id of ids) {
      await env.run(probeDeleteArgv(path, stateRoot, id), { timeoutMs: DELETE_TIMEOUT_MS });
      deleted.push(id);
    }
  }
  return deleted;
}

export async function checkOciRuntimes(env: HostProbeEnv): Promise<OciVerdict> {
  const [probes, cgroups] = await Promise.all([
    Promise.all(OCI_RUNTIMES.map((name) => probeRuntime(env, name))),
    readCgroupLayout(env),
  ]);
  return decideRuntime(probes, cgroups?.layout.mode ?? null);
}

/** Pure: the items and the selected runtime that follow from the probes. */
export function decideRuntime(probes: readonly RuntimeProbe[], cgroupMode: CgroupMode | null): OciVerdict {
  const selected = selectRuntime(probes);
  const items = probes.map((p) => runtimeItem(p, selected, cgroupMode));
  items.push(selectionItem(probes, selected, cgroupMode));
  return { ociRuntime: selected, items };
}

const INSTALL_RUNTIME = 'Install an OCI runtime: apt install crun (or runc)';

function hybridHint(p: RuntimeProbe, cgroupMode: CgroupMode | null): string | null {
  if (p.name === 'crun' && cgroupMode === 'hybrid' && p.error && /hybrid|cgroup/i.test(p.error)) {
    return 'crun does not support the hybrid cgroup layout (v1 controllers plus /sys/fs/cgroup/unified)';
  }
  return null;
}

function runtimeItem(p: RuntimeProbe, selected: OciRuntimeName | null, cgroupMode: CgroupMode | null): HostCheckItem {
  const id = `oci-runtime.${p.name}`;
  const label = p.name;
  if (!p.path) {
    return checkItem(id, 'containers', label, {
      status: selected ? 'ok' : 'warn',
      summary: selected ? `Not installed (not needed: ${selected} works)` : 'Not installed',
      evidence: [`${p.name}: not found in PATH`],
      remedy: INSTALL_RUNTIME,
    });
  }
  const evidence = [`${p.path}: ${p.version ?? 'version unknown'}`];
  if (p.works) {
    evidence.push(`test container ran and exited 0 in ${p.durationMs ?? '?'} ms`);
    return checkItem(id, 'containers', label, {
      status: 'ok',
      summary: selected === p.name ? 'Works; capsules will use it' : `Works (${selected} is preferred)`,
      evidence,
    });
  }
  evidence.push(`test container failed: ${p.error ?? 'unknown error'}`);
  const hint = hybridHint(p, cgroupMode);
  if (hint) evidence.push(hint);
  return checkItem(id, 'containers', label, {
    status: selected ? 'warn' : 'fail',
    summary: selected ? `Installed but cannot run containers here (${selected} is used instead)` : 'Installed but cannot run containers here',
    evidence,
    remedy: hint
      ? 'Boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2) to use crun'
      : `Run the failing command by hand to see the full error: ${p.name} run --bundle DIR ID`,
  });
}

function selectionItem(probes: readonly RuntimeProbe[], selected: OciRuntimeName | null, cgroupMode: CgroupMode | null): HostCheckItem {
  const label = 'Capsule runtime';
  const evidence = probes.map((p) =>
    !p.path ? `${p.name}: not installed` : p.works ? `${p.name}: works` : `${p.name}: fails (${p.error ?? 'unknown error'})`,
  );
  for (const p of probes) {
    const hint = hybridHint(p, cgroupMode);
    if (hint) evidence.push(hint);
  }
  if (selected) {
    return checkItem('oci-runtime', 'containers', label, {
      status: 'ok',
      summary: `Capsules will use ${selected}`,
      evidence,
    });
  }
  const anyInstalled = probes.some((p) => p.path);
  return checkItem('oci-runtime', 'containers', label, {
    status: 'fail',
    summary: anyInstalled ? 'No installed OCI runtime can run a container: capsules are unavailable' : 'No OCI runtime installed: capsules are unavailable',
    evidence,
    remedy: anyInstalled ? 'See the runtime items above for the error; runc is the most tolerant of old cgroup layouts' : INSTALL_RUNTIME,
  });
}
