// User namespaces for capsules (uid 0 inside is an unprivileged id outside): the one id range
// every capsule shares, the probe that tells whether runc may start a container in a user
// namespace here (cached per runtime), and the ownership and reachability rules it needs.
//
// The range is `nova:START:COUNT` from /etc/subuid and /etc/subgid when both name one (same
// START, COUNT >= 65536); otherwise the fixed 1000000000:65536 (far above login and system
// ids, as Incus and LXD pick theirs), unless an entry in either file overlaps it. Nova never
// edits those files: add `nova:START:65536` to both to move the range (the helper logs which it uses).
//
// runc 1.1 has no idmapped mounts, so ownership is shifted on disk: each image gets a second
// unpack owned by the shifted ids (umoci --uid-map), a capsule's writable layer belongs to the
// shifted root, and every directory on the way to the rootfs and the bind-mounted files must
// be searchable by that id (0711 for Nova's own; the probe names any other in the way).
// Volumes keep their owner: a file the capsule's uid N writes through a volume belongs to
// host uid START+N (root inside: START), and the capsule can write only where the volume
// folder lets that id (chown START DIR, or an ACL); the folders above it do not matter, as
// it is bound by descriptor from a staging point Nova owns (volume-staging.ts). On a Nova network, the capsule's network
// namespace is made inside its user namespace, which therefore owns it (capsule-netns.ts):
// runc joins both by path, and `runc exec` (which joins the user namespace first, then the
// network one) is allowed in, with runc 1.1 too. The probe tries that once as well.
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CapsuleUserNamespace } from '../../../src-shared/capsule.js';
import { NovaError } from '../../../src-shared/errors.js';
import { probeBundleConfig, writeProbeBundle } from '../host-check/oci-probe-bundle.js';
import { lastLine, type ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import { CapsuleNamespaces } from './capsule-netns.js';
import type { IdMapping } from './oci-config.js';
import { deleteArgv, runArgv } from './runtime-argv.js';

export const SUBID_OWNER = 'nova';
export const DEFAULT_ID_RANGE: IdMapping = { hostId: 1_000_000_000, size: 65536 };
/** uid 0..65535 inside: what images use, nobody (65534) included. */
export const MIN_RANGE_SIZE = 65536;
const PROBE_TIMEOUT_MS = 15_000;
const MAX_ID = 2 ** 32 - 2;

export interface SubIdEntry {
  owner: string;
  start: number;
  count: number;
}

/** What the host offers: a mapping, or null with the reason in one line. */
export interface UserNamespaceSupport {
  mapping: IdMapping | null;
  reason: string | null;
  /** Why a capsule joining a Nova network cannot have one (the probe failed), null when it can. */
  networkReason?: string | null;
}

/** `owner:start:count` lines of /etc/subuid or /etc/subgid; anything else is skipped. */
export function parseSubIds(text: string): SubIdEntry[] {
  const out: SubIdEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([^:#\s][^:]*):(\d+):(\d+)$/.exec(line.trim());
    if (m) out.push({ owner: m[1]!, start: Number(m[2]), count: Number(m[3]) });
  }
  return out;
}

function overlaps(a: { start: number; count: number }, b: { start: number; count: number }): boolean {
  return a.start < b.start + b.count && b.start < a.start + a.count;
}

/** Nova's range from the two files' text (see the header for the rules). */
export function chooseIdRange(subuid: string, subgid: string): { mapping: IdMapping; source: 'subid' | 'default' } | { mapping: null; reason: string } {
  const uids = parseSubIds(subuid);
  const gids = parseSubIds(subgid);
  const u = uids.find((e) => e.owner === SUBID_OWNER);
  const g = gids.find((e) => e.owner === SUBID_OWNER);
  if (u || g) {
    if (!u || !g) return { mapping: null, reason: `/etc/${u ? 'subgid' : 'subuid'} has no "${SUBID_OWNER}" entry while /etc/${u ? 'subuid' : 'subgid'} has one: add the same line to both` };
    if (u.start !== g.start || u.count !== g.count) {
      return { mapping: null, reason: `the "${SUBID_OWNER}" entries of /etc/subuid (${u.start}:${u.count}) and /etc/subgid (${g.start}:${g.count}) differ: capsules use one range for both, make them equal` };
    }
    if (u.count < MIN_RANGE_SIZE) return { mapping: null, reason: `the "${SUBID_OWNER}" range in /etc/subuid has ${u.count} ids: capsules need at least ${MIN_RANGE_SIZE}` };
    if (u.start < 1 || u.start + MIN_RANGE_SIZE > MAX_ID) return { mapping: null, reason: `the "${SUBID_OWNER}" range in /etc/subuid starts at ${u.start}: pick a start above 0 and below ${MAX_ID - MIN_RANGE_SIZE}` };
    return { mapping: { hostId: u.start, size: MIN_RANGE_SIZE }, source: 'subid' };
  }
  for (const [file, entries] of [['/etc/subuid', uids], ['/etc/subgid', gids]] as const) {
    const clash = entries.find((e) => overlaps(e, { start: DEFAULT_ID_RANGE.hostId, count: DEFAULT_ID_RANGE.size }));
    if (clash) {
      return {
        mapping: null,
        reason: `Nova's default id range ${DEFAULT_ID_RANGE.hostId}:${DEFAULT_ID_RANGE.size} overlaps "${clash.owner}" in ${file}: add a free "${SUBID_OWNER}:START:${MIN_RANGE_SIZE}" line to /etc/subuid and /etc/subgid`,
      };
    }
  }
  return { mapping: { ...DEFAULT_ID_RANGE }, source: 'default' };
}

/** What a new capsule gets: `wanted` is its spec's userNamespace (unset: where allowed). */
export function decideUserNamespace(name: string, wanted: boolean | undefined, support: UserNamespaceSupport, joinsNetwork = false): CapsuleUserNamespace {
  if (wanted === false) return { enabled: false, hostId: null, size: null, reason: 'turned off for this capsule (userNamespace: false)' };
  const blocked = joinsNetwork ? (support.networkReason ?? null) : null;
  if (support.mapping && !blocked) return { enabled: true, hostId: support.mapping.hostId, size: support.mapping.size, reason: null };
  const reason = blocked ?? support.reason ?? 'this host offers no user namespaces';
  if (wanted === true) {
    throw new NovaError('unsupported', `Capsule "${name}" asks for a user namespace, but ${reason}; fix that, or create it with userNamespace off`);
  }
  return { enabled: false, hostId: null, size: null, reason };
}

export function mappingOf(u: CapsuleUserNamespace | undefined | null): IdMapping | null {
  return u?.enabled && u.hostId !== null && u.size !== null ? { hostId: u.hostId, size: u.size } : null;
}

function inRange(id: number, m: IdMapping): boolean {
  return id >= m.hostId && id < m.hostId + m.size;
}

/** Whether the capsule's shifted root may pass through a directory with this owner and mode. */
export function searchableBy(st: { uid: number; gid: number; mode: number }, m: IdMapping): boolean {
  if (inRange(st.uid, m)) return (st.mode & 0o100) !== 0;
  if (inRange(st.gid, m)) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** The first directory from / down to `path` (included) that the shifted root cannot search. */
export async function unsearchableDir(path: string, m: IdMapping): Promise<{ dir: string; mode: string } | null> {
  const dirs: string[] = [];
  for (let d = path; ; d = dirname(d)) {
    dirs.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of dirs) {
    const st = await stat(d).catch(() => null);
    if (st && st.isDirectory() && !searchableBy(st, m)) return { dir: d, mode: (st.mode & 0o7777).toString(8).padStart(4, '0') };
  }
  return null;
}

/** Adds o+x, so the shifted root can reach what lies below without listing it. */
export async function makeSearchable(dirs: readonly string[]): Promise<void> {
  for (const d of dirs) {
    const st = await stat(d);
    if ((st.mode & 0o001) === 0) await chmod(d, (st.mode & 0o7777) | 0o001);
  }
}

/**
 * Docker's defaults for a container's network namespace: every id may ping and bind any
 * port, not only the capsule's root (which holds CAP_NET_RAW there, as its user namespace
 * owns the namespace).
 */
export function netnsSysctlArgv(netns: string): string[] {
  return ['ip', 'netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv4.ping_group_range=0 2147483647', 'net.ipv4.ip_unprivileged_port_start=0'];
}

/** The writable layer's top takes the owner and mode of the image root it covers (overlay's `/`). */
export async function matchOwner(target: string, like: string): Promise<void> {
  const st = await lstat(like);
  await chown(target, st.uid, st.gid);
  await chmod(target, st.mode & 0o7777);
}

export interface UserNamespaceProbeOptions {
  runner: Pick<ProcessRunner, 'run' | 'spawnDetached'>;
  logger: Logger;
  stateDir: string;
  /** STATE/capsules: the probe runs its container there, where capsules will run. */
  capsulesDir: string;
  /** Parent cgroup (cgroupfs path) of the probe container. */
  cgroupParent: string;
  /** Container id prefix, so several Nova instances never collide. */
  idPrefix: string;
  procRoot?: string;
  etcRoot?: string;
  /** Where the network probe makes its namespaces (default: where capsules get theirs). */
  namespaces?: CapsuleNamespaces;
}

/** The host-check probe bundle, in a user namespace with the range's mapping. */
export function userNamespaceProbeConfig(m: IdMapping, cgroupsPath: string): Record<string, unknown> {
  const base = probeBundleConfig('nova-userns-probe') as { linux: { namespaces: { type: string }[] } } & Record<string, unknown>;
  const map = [{ containerID: 0, hostID: m.hostId, size: m.size }];
  return {
    ...base,
    linux: { ...base.linux, namespaces: [...base.linux.namespaces, { type: 'user' }], uidMappings: map, gidMappings: map, cgroupsPath },
  };
}

/**
 * The same container joining a user namespace and the network namespace it owns, both by
 * path, as a capsule on a Nova network does; with a fresh sysfs, which that ownership allows.
 */
export function userNamespaceNetworkProbeConfig(m: IdMapping, cgroupsPath: string, usernsPath: string, netnsPath: string): Record<string, unknown> {
  const base = userNamespaceProbeConfig(m, cgroupsPath) as { mounts: unknown[]; linux: { namespaces: { type: string }[] } } & Record<string, unknown>;
  const namespaces = base.linux.namespaces.map((ns) => {
    if (ns.type === 'user') return { type: 'user', path: usernsPath };
    if (ns.type === 'network') return { type: 'network', path: netnsPath };
    return ns;
  });
  return {
    ...base,
    mounts: [...base.mounts, { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] }],
    linux: { ...base.linux, namespaces },
  };
}

/**
 * runc joins the user namespace first, then the network one, on `run` with both given by
 * path as on `exec`: a run of the probe proves what a capsule on a network needs.
 */
async function probeNetworkJoin(o: UserNamespaceProbeOptions, runtimePath: string, m: IdMapping, bundle: string, root: string, id: string): Promise<string | null> {
  const namespaces = o.namespaces ?? new CapsuleNamespaces({ runner: o.runner });
  const name = id.slice(0, 63);
  try {
    await namespaces.create(name, m);
    await mkdir(join(bundle, 'rootfs/sys'), { recursive: true });
    await chown(join(bundle, 'rootfs/sys'), m.hostId, m.hostId);
    const config = userNamespaceNetworkProbeConfig(m, `${o.cgroupParent}/${id}`, namespaces.usernsPath(name), namespaces.netnsPath(name));
    await writeFile(join(bundle, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    const r = await o.runner.run({ argv: runArgv(runtimePath, root, bundle, id), timeoutMs: PROBE_TIMEOUT_MS, allowFailure: true });
    if (r.exitCode === 0) return null;
    return `capsules on Nova networks run without one: ${runtimePath} could not join a network namespace owned by the capsule's user namespace (${lastLine(r.stderr) || lastLine(r.stdout) || `exit status ${r.exitCode}`})`;
  } catch (err) {
    return `capsules on Nova networks run without one: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await o.runner.run({ argv: deleteArgv(runtimePath, root, id), timeoutMs: 10_000, allowFailure: true }).catch(() => undefined);
    await namespaces.remove(name).catch((err: unknown) => o.logger.warn({ err, netns: name }, 'could not remove the user namespace probe\'s namespaces'));
  }
}

/** Whether this host lets `runtime` start a container in a user namespace with Nova's range. */
export async function probeUserNamespaces(o: UserNamespaceProbeOptions, runtimePath: string): Promise<UserNamespaceSupport> {
  const proc = o.procRoot ?? '/proc';
  const etc = o.etcRoot ?? '/etc';
  const max = Number((await readFile(join(proc, 'sys/user/max_user_namespaces'), 'utf8').catch(() => '')).trim());
  if (!(max > 0)) return { mapping: null, reason: `the kernel allows no user namespaces (${proc}/sys/user/max_user_namespaces is ${Number.isNaN(max) ? 'missing' : max})` };
  const range = chooseIdRange(await readFile(join(etc, 'subuid'), 'utf8').catch(() => ''), await readFile(join(etc, 'subgid'), 'utf8').catch(() => ''));
  if (!range.mapping) return { mapping: null, reason: range.reason };
  const m = range.mapping;
  if (range.source === 'default') {
    o.logger.info({ hostId: m.hostId, size: m.size }, `capsules use the default id range ${m.hostId}:${m.size}: no "${SUBID_OWNER}" entry in /etc/subuid and /etc/subgid (add one to both to reserve or move it)`);
  }
  await mkdir(o.capsulesDir, { recursive: true, mode: 0o711 });
  await makeSearchable([o.stateDir, o.capsulesDir]);
  const blocked = await unsearchableDir(o.capsulesDir, m);
  if (blocked) {
    return { mapping: null, reason: `${blocked.dir} (mode ${blocked.mode}) keeps the capsules' ids (from ${m.hostId}) from reaching the state dir: let others search it (chmod o+x ${blocked.dir})` };
  }
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  // Its own folder: the host check may probe one runtime while a capsule create probes another.
  const dir = join(o.capsulesDir, `.userns-probe-${tag}`);
  const id = `${o.idPrefix}userns-probe-${tag}`;
  const root = join(dir, 'runtime');
  try {
    await rm(dir, { recursive: true, force: true });
    await mkdir(root, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o711);
    const bundle = join(dir, 'bundle');
    await writeProbeBundle(bundle, 'nova-userns-probe');
    await chmod(bundle, 0o711);
    for (const p of ['rootfs', 'rootfs/proc', 'rootfs/dev', 'rootfs/probe']) await chown(join(bundle, p), m.hostId, m.hostId);
    await writeFile(join(bundle, 'config.json'), JSON.stringify(userNamespaceProbeConfig(m, `${o.cgroupParent}/${id}`), null, 2) + '\n');
    const r = await o.runner.run({ argv: runArgv(runtimePath, root, bundle, id), timeoutMs: PROBE_TIMEOUT_MS, allowFailure: true });
    if (r.exitCode !== 0) {
      const why = lastLine(r.stderr) || lastLine(r.stdout) || `exit status ${r.exitCode}`;
      return { mapping: null, reason: `${runtimePath} could not start a container in a user namespace here (${why})` };
    }
    return { mapping: m, reason: null, networkReason: await probeNetworkJoin(o, runtimePath, m, bundle, root, `${id}-net`) };
  } catch (err) {
    return { mapping: null, reason: `the user namespace probe failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    await o.runner.run({ argv: deleteArgv(runtimePath, root, id), timeoutMs: 10_000, allowFailure: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** probeUserNamespaces once per runtime binary for the helper's lifetime, logged once. */
export function userNamespaceProber(o: UserNamespaceProbeOptions): (runtimePath: string) => Promise<UserNamespaceSupport> {
  const cache = new Map<string, Promise<UserNamespaceSupport>>();
  return (runtimePath) => {
    let p = cache.get(runtimePath);
    if (!p) {
      p = probeUserNamespaces(o, runtimePath).then((s) => {
        if (s.mapping) o.logger.info({ runtime: runtimePath, hostId: s.mapping.hostId, size: s.mapping.size, onNetworks: s.networkReason ?? 'yes' }, 'capsules run in user namespaces');
        else o.logger.warn({ runtime: runtimePath, reason: s.reason }, `capsules run without user namespaces (root inside is root on the host): ${s.reason}`);
        return s;
      });
      cache.set(runtimePath, p);
    }
    return p;
  };
}
