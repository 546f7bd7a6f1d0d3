// Which OCI runtime capsules will use, decided by really running a container with
// each one found (crun preferred, as Podman does). Being installed proves little:
// crun, for one, refuses a hybrid cgroup layout where runc works. Capsules run in a user
// namespace wherever the runtime allows one, so a runtime that starts only plain
// containers is chosen only when none can do both (and the report says so): the same
// rule picks the runtime of `auto` capsules (runtime-resolver.ts).
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
  /** The capsules' own user-namespace probe; absent when not asked (or the runtime fails anyway). */
  userNamespace?: UserNamespaceVerdict;
}

/** What the capsule engine's user-namespace probe says about one runtime binary. */
export interface UserNamespaceVerdict {
  works: boolean;
  /** Why not, in one line, else null. */
  reason: string | null;
  /** uid 0 inside -> this host uid, when it works. */
  hostId: number | null;
}

/** The probe capsules use (user-namespace.ts's prober), shared so both get one answer. */
export type UserNamespaceProbe = (runtimePath: string) => Promise<{ mapping: { hostId: number } | null; reason: string | null }>;

export interface OciVerdict {
  ociRuntime: OciRuntimeName | null;
  items: HostCheckItem[];
}

/** The preferred runtime that runs capsules in a user namespace; else the preferred one that runs them at all. */
export function selectRuntime(probes: readonly RuntimeProbe[]): OciRuntimeName | null {
  const inOrder = OCI_RUNTIMES.map((name) => probes.find((p) => p.name === name && p.works === true)).filter((p) => p !== undefined);
  return (inOrder.find((p) => p.userNamespace?.works !== false) ?? inOrder[0])?.name ?? null;
}

/** Each runtime's plain probe, then, for those that work, the user-namespace probe capsules use. */
export async function probeRuntimes(env: HostProbeEnv, userNamespaces?: UserNamespaceProbe): Promise<RuntimeProbe[]> {
  const probes = await Promise.all(OCI_RUNTIMES.map((name) => probeRuntime(env, name)));
  if (!userNamespaces) return probes;
  // One after the other: the user-namespace probes share their scratch folder in the state dir.
  const out: RuntimeProbe[] = [];
  for (const p of probes) {
    if (!p.works || !p.path) {
      out.push(p);
      continue;
    }
    const s = await userNamespaces(p.path).catch((err: unknown) => ({ mapping: null, reason: err instanceof Error ? err.message : String(err) }));
    out.push({ ...p, userNamespace: { works: s.mapping !== null, reason: s.reason, hostId: s.mapping?.hostId ?? null } });
  }
  return out;
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

export async function checkOciRuntimes(env: HostProbeEnv, userNamespaces?: UserNamespaceProbe): Promise<OciVerdict> {
  const [probes, cgroups] = await Promise.all([probeRuntimes(env, userNamespaces), readCgroupLayout(env)]);
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
    const userns = p.userNamespace;
    if (userns) evidence.push(userns.works ? `in a user namespace, as capsules run: works (uid 0 -> ${userns.hostId})` : `in a user namespace, as capsules run: fails (${userns.reason ?? 'unknown error'})`);
    if (userns?.works === false && selected !== p.name) {
      return checkItem(id, 'containers', label, {
        status: 'warn',
        summary: `Works, but not in a user namespace as capsules run (${selected} is used instead)`,
        evidence,
        remedy: `Run the failing command by hand to see the full error: ${p.name} run --bundle DIR ID, with a user namespace in config.json`,
      });
    }
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
    !p.path
      ? `${p.name}: not installed`
      : !p.works
        ? `${p.name}: fails (${p.error ?? 'unknown error'})`
        : p.userNamespace?.works === false
          ? `${p.name}: works, but not in a user namespace`
          : `${p.name}: works`,
  );
  for (const p of probes) {
    const hint = hybridHint(p, cgroupMode);
    if (hint) evidence.push(hint);
  }
  const chosen = probes.find((p) => p.name === selected);
  if (chosen?.userNamespace?.works === false) {
    return checkItem('oci-runtime', 'containers', label, {
      status: 'warn',
      summary: `Capsules will use ${selected}, without user namespaces: root inside a capsule is root on the host`,
      evidence: [...evidence, `no runtime here starts a container in a user namespace: ${chosen.userNamespace.reason ?? 'unknown error'}`],
      remedy: 'See the runtime items above for the error; capsules get user namespaces once a runtime can start them',
    });
  }
  if (chosen) {
    const userns = chosen.userNamespace;
    return checkItem('oci-runtime', 'containers', label, {
      status: 'ok',
      summary: userns ? `Capsules will use ${selected}, in user namespaces (uid 0 -> ${userns.hostId})` : `Capsules will use ${selected}`,
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
