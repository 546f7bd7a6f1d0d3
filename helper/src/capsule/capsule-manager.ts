// CapsuleManager: the lifecycle of capsules on one host. Each capsule is a directory under
// STATE/capsules/NAME (versioned capsule.json, bundle, overlay upper/work, logs, snapshots);
// each run is a detached native shim (shim-protocol.ts; started through shim-launcher.ts) that
// is the parent of `runc run`, so the helper can restart while capsules run: a new manager reattaches (pid + start time),
// picks up exits the shim recorded, and keeps applying restart policies.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CapsuleExitSchema,
  CapsuleSpecSchema,
  CapsuleUserNamespaceSchema,
  CAPSULE_NAME_PATTERN,
  type Capsule,
  type CapsuleExit,
  type CapsuleMetrics,
  type CapsuleSnapshot,
  type CapsuleSpec,
  type CapsuleSpecIn,
  type OciImage,
} from '../../../src-shared/capsule.js';
import { isNovaError, NovaError, schemaError } from '../../../src-shared/errors.js';
import { writeJsonAtomic } from '../state/atomic-write.js';
import { ResourceLocks } from '../state/resource-lock.js';
import type { Logger } from '../util/logger.js';
import { isSameProcess, processStartTime } from '../util/proc-stat.js';
import { childDirs, createSubvolume, isOnBtrfs, isSubvolume, removeTree, snapshotSubvolume } from './btrfs-layer.js';
import { nextLogSeq, readLogs, type LogPage, type LogQuery } from './capsule-logs.js';
import { ShimLauncher } from './shim-launcher.js';
import { shimArgv, type ShimExit, type ShimSpec } from './shim-protocol.js';
import { memoryCgroupDirV1, readCgroupMetrics } from './cgroup-metrics.js';
import { noCapsuleNetworkPort, readVethCounters, type CapsuleAttachment, type CapsuleNetworkPort } from './capsule-network.js';
import { CapsuleNamespaces } from './capsule-netns.js';
import type { ImageStore } from './image-store.js';
import { buildOciConfig, type IdMapping, type OciConfigInput } from './oci-config.js';
import * as rt from './runtime-argv.js';
import type { ToolRunner } from './tool-runner.js';
import { checkVolumesReachable, decideUserNamespace, mappingOf, matchOwner, netnsSysctlArgv, type UserNamespaceSupport } from './user-namespace.js';
import { resolveVolume } from './volume-paths.js';

export const CAPSULE_RECORD_VERSION = 1;
export const KNOWN_RUNTIMES = ['crun', 'runc'] as const;
const START_WAIT_MS = 15_000;
const KILL_WAIT_MS = 5_000;
const SUPERVISE_POLL_MS = 1_000;

const RunRecordSchema = z.strictObject({
  shimPid: z.number().int(),
  shimStart: z.string(),
  containerPid: z.number().int().nullable(),
  startedAt: z.string(),
  paused: z.boolean(),
  /** The run's place on its Nova network, kept so a restarted helper can release it. */
  network: z
    .strictObject({ name: z.string(), address: z.string(), hostIfname: z.string(), hostname: z.string(), netns: z.string() })
    .nullable()
    .optional(),
});

const CapsuleRecordSchema = z.strictObject({
  version: z.literal(CAPSULE_RECORD_VERSION),
  spec: CapsuleSpecSchema,
  imageId: z.string(),
  imageName: z.string(),
  runtime: z.string(),
  rootfsMode: z.enum(['overlay', 'copy']),
  createdAt: z.string(),
  /** What the user last asked for: restart policies only act while this is `running`. */
  desired: z.enum(['running', 'stopped']),
  restartCount: z.number().int(),
  lastExit: CapsuleExitSchema.nullable(),
  run: RunRecordSchema.nullable(),
  /** Set while the restart policy waits to start the capsule again. */
  restartAt: z.string().nullable(),
  /** Decided at create (the writable layer's owner depends on it); absent in older records. */
  userNamespace: CapsuleUserNamespaceSchema.optional(),
});
type CapsuleRecord = z.infer<typeof CapsuleRecordSchema>;

/**
 * What this manager itself left in a capsule's dir for its next run, so that a start
 * rewrites none of it needlessly: runc's config.json, the /etc files bound into the capsule
 * (null once a run had them: it may have changed them, they are bound read-write), whether
 * run/ is still empty, and the next log sequence number while no run has logged (else null).
 * Unknown after a helper restart: then all of it is rewritten, or read back.
 */
interface PreparedRun {
  config: string | null;
  etc: string | null;
  runDirEmpty: boolean;
  nextLogSeq: number | null;
}

/** The subset of node-pty this module uses, so node-pty stays an optional, injected dependency. */
export interface PtyProcess {
  onData(listener: (data: string) => void): { dispose(): void };
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}
export type PtySpawn = (file: string, args: string[], opts: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string> }) => PtyProcess;

export interface CapsuleManagerOptions {
  stateDir: string;
  images: ImageStore;
  run: ToolRunner;
  logger: Logger;
  /** `auto` probes (crun first, then runc, as the host check does); or a runtime name. */
  runtime: string;
  /** Resolves a runtime name to the binary that works here; null when it does not. */
  resolveRuntime: (name: string | 'auto') => Promise<{ name: string; path: string } | null>;
  /** The shim executable, then any arguments before shimArgv's; its `--launcher` mode starts every run's shim. */
  shimCommand: readonly string[];
  /** Host directories volume sources must lie in. */
  volumeRoots: readonly string[];
  /** Container ids are PREFIX + name, so several Nova instances (tests) never collide. */
  containerIdPrefix?: string;
  /** Parent cgroup of all capsules (cgroupfs path). */
  cgroupParent?: string;
  cgroupRoot?: string;
  maxLogBytes?: number;
  maxLogFiles?: number;
  /** Restart backoff: first delay, doubled per consecutive restart, capped at 10 s. */
  restartBackoffMs?: number;
  /** A fixed id range for user namespaces, unprobed (tests); `userNamespaces` wins when both are given. */
  idMapping?: IdMapping | null;
  /** What the host allows for a runtime binary (user-namespace.ts's cached probe). */
  userNamespaces?: (runtimePath: string) => Promise<UserNamespaceSupport>;
  ptySpawn?: PtySpawn;
  /** Tells whether overlayfs works with the state dir as upper (probed once otherwise). */
  forceRootfsMode?: 'overlay' | 'copy';
  /** Veths, addresses and port forwards on Nova networks; without it, capsules with a network are refused. */
  networks?: CapsuleNetworkPort;
  /** Where named network namespaces live (`ip netns`), default /run/netns. */
  netnsDir?: string;
  /** Told after every change of a capsule's record (a signal to refetch); `deleted` when it is gone. */
  onChange?: (name: string, state: Capsule['state'] | 'deleted') => void;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface TerminalSession {
  readonly id: string;
  onData(listener: (data: string) => void): void;
  onExit(listener: (exitCode: number) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

function hostsFile(hostname: string, net: CapsuleAttachment | null): string {
  const own = net ? `${net.address.split('/')[0]}\t${net.hostname} ${hostname}` : `127.0.1.1\t${hostname}`;
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own}\n`;
}

function resolvConf(net: CapsuleAttachment | null): string {
  if (!net) return '# this capsule has no network: it is not attached to a Nova network\n';
  if (!net.dns) return `# network ${net.network} serves no DNS\n`;
  return `nameserver ${net.dns.server}\nsearch ${net.dns.domain}\n`;
}

/**
 * Wakes a waiter when anything in `dir` changes (or after at most `ms`, should a change
 * be missed), so the start path sees the shim's pid file as it appears instead of
 * polling. Latched: a change between two waits is not lost. Closes itself after lifeMs.
 */
function dirChanges(dir: string, lifeMs: number): { next: (ms: number) => Promise<void>; close: () => void } {
  let changed = false;
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, () => {
      changed = true;
      wake?.();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = null;
  }
  const close = () => {
    watcher?.close();
    watcher = null;
    clearTimeout(life);
  };
  const life = setTimeout(close, lifeMs + 1_000);
  life.unref();
  return {
    next: (ms) =>
      new Promise<void>((resolve) => {
        if (changed) {
          changed = false;
          resolve();
          return;
        }
        const done = () => {
          clearTimeout(timer);
          wake = null;
          changed = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
      }),
    close,
  };
}

/**
 * A file of a few bytes the shim or runc just wrote (in the page cache), parsed; null when it
 * is absent or unreadable. Synchronous: on a start or an exit, readFile's four trips to
 * libuv's thread pool cost more than the read, and take CPU from runc while it works.
 */
function readSmallFile<T>(path: string, parse: (text: string) => T): T | null {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function pathExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

export function checkCapsuleName(name: string): void {
  if (!CAPSULE_NAME_PATTERN.test(name)) {
    throw new NovaError('invalid_argument', `Invalid capsule name "${name}": 1-63 of a-z 0-9 _ - starting with a letter or digit`);
  }
}

/**
 * Docker's exit reason rules, plus OOM from the cgroup and the stop the user asked for.
 * `stopRequestedAt` (ms) is when that stop was asked: a run that had already ended on its
 * own by then exited, whatever the stop found when it came (the race behind an `exited`
 * run once reported as `stopped`).
 */
export function exitFromShim(e: ShimExit, stopRequested: boolean, stopRequestedAt: number | null = null): CapsuleExit {
  const signalFromCode = e.exitCode !== null && e.exitCode > 128 ? e.exitCode - 128 : null;
  const signal = e.signal ?? (signalFromCode ? `SIG${signalName(signalFromCode)}` : null);
  if (!e.started) return { exitCode: e.exitCode, signal: null, reason: 'start-failed', at: e.at, message: e.runtimeError ?? undefined };
  if (e.oomKilled) return { exitCode: e.exitCode, signal, reason: 'oom-killed', at: e.at, message: 'killed by the kernel: out of memory (the memory limit was reached)' };
  const endedBeforeStop = stopRequestedAt !== null && Date.parse(e.at) < stopRequestedAt;
  if (stopRequested && !endedBeforeStop) return { exitCode: e.exitCode, signal, reason: 'stopped', at: e.at };
  if (signal) return { exitCode: e.exitCode, signal, reason: 'signaled', at: e.at };
  return { exitCode: e.exitCode, signal: null, reason: 'exited', at: e.at };
}

const SIGNALS: Record<number, string> = { 1: 'HUP', 2: 'INT', 3: 'QUIT', 6: 'ABRT', 9: 'KILL', 11: 'SEGV', 13: 'PIPE', 14: 'ALRM', 15: 'TERM' };
function signalName(n: number): string {
  return SIGNALS[n] ?? String(n);
}

/** Whether the policy restarts after this exit, given restarts already made. */
export function shouldRestart(spec: CapsuleSpec, exit: CapsuleExit, restartCount: number): boolean {
  if (exit.reason === 'stopped' || exit.reason === 'start-failed') return false;
  const p = spec.restart;
  if (p.mode === 'always') return true;
  if (p.mode === 'on-failure') return exit.exitCode !== 0 && (p.maxRetries === null || restartCount < p.maxRetries);
  return false;
}

export class CapsuleManager {
  private readonly root: string;
  private readonly runtimeRoot: string;
  private readonly locks = new ResourceLocks();
  private readonly records = new Map<string, CapsuleRecord>();
  private readonly watchers = new Map<string, { watcher: FSWatcher | null; timer: NodeJS.Timeout }>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly stopping = new Set<string>();
  /** When the user last asked each capsule to stop (ms), to tell a stop from an exit that raced it. */
  private readonly stopRequestedAt = new Map<string, number>();
  /** Reaps under way: a second caller waits for all of one (its unmount comes after the record). */
  private readonly reaping = new Map<string, Promise<void>>();
  private readonly terminals = new Map<string, PtyProcess>();
  private readonly exitWaiters = new Map<string, Set<() => void>>();
  private readonly prepared = new Map<string, PreparedRun>();
  private readonly launcher: ShimLauncher;
  private readonly runtimePaths = new Map<string, string>();
  private overlayWorks: boolean | null = null;
  private closed = false;
  private terminalSeq = 0;

  constructor(private readonly o: CapsuleManagerOptions) {
    this.launcher = new ShimLauncher(o.shimCommand[0] ?? '');
    this.root = join(o.stateDir, 'capsules');
    this.runtimeRoot = join(o.stateDir, 'runc');
    if (o.runtime !== 'auto' && !(KNOWN_RUNTIMES as readonly string[]).includes(o.runtime)) {
      throw new NovaError('invalid_argument', `Unknown OCI runtime "${o.runtime}": use one of auto, ${KNOWN_RUNTIMES.join(', ')}`);
    }
  }

  private get prefix(): string {
    return this.o.containerIdPrefix ?? 'nova-';
  }
  private containerId(name: string): string {
    return `${this.prefix}${name}`;
  }
  private cgroupsPath(name: string): string {
    return `${this.o.cgroupParent ?? '/nova'}/${this.containerId(name)}`;
  }
  private dir(name: string): string {
    return join(this.root, name);
  }
  private paths(name: string) {
    const d = this.dir(name);
    return {
      record: join(d, 'capsule.json'),
      bundle: join(d, 'bundle'),
      rootfs: join(d, 'bundle', 'rootfs'),
      upper: join(d, 'upper'),
      work: join(d, 'work'),
      etc: join(d, 'etc'),
      run: join(d, 'run'),
      pidFile: join(d, 'run', 'container.pid'),
      exitFile: join(d, 'run', 'exit.json'),
      logs: join(d, 'logs'),
      logFile: join(d, 'logs', 'capsule.log'),
      snapshots: join(d, 'snapshots'),
    };
  }
  private get networks(): CapsuleNetworkPort {
    return this.o.networks ?? noCapsuleNetworkPort;
  }
  private namespacesCache: CapsuleNamespaces | null = null;
  /** Capsules' network namespaces, made inside their user namespaces where they have one. */
  private get namespaces(): CapsuleNamespaces {
    return (this.namespacesCache ??= new CapsuleNamespaces({ run: this.o.run, ...(this.o.netnsDir ? { netnsDir: this.o.netnsDir } : {}) }));
  }
  /** The capsule's named network namespace (`ip netns` names are at most 63 characters here). */
  private netnsName(name: string): string {
    return this.containerId(name).slice(0, 63);
  }
  private get maxLogFiles(): number {
    return this.o.maxLogFiles ?? 5;
  }

  /** Loads every capsule record and reattaches to those still running. */
  async recover(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await mkdir(this.runtimeRoot, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.root)) {
      if (!CAPSULE_NAME_PATTERN.test(name)) continue;
      const rec = await this.readRecord(name);
      if (!rec) continue;
      this.records.set(name, rec);
    }
    for (const [name, rec] of this.records) {
      await this.locks.withLock(name, async () => {
        if (rec.run) {
          if (await isSameProcess(rec.run.shimPid, rec.run.shimStart)) {
            rec.run.containerPid ??= await readFile(this.paths(name).pidFile, 'utf8').then((t) => Number(t.trim()) || null, () => null);
            this.o.logger.info({ capsule: name, shimPid: rec.run.shimPid }, 'reattached to running capsule');
            this.supervise(name);
          } else {
            await this.reapExit(name);
          }
        } else if (rec.restartAt) {
          this.scheduleRestart(name, Math.max(0, Date.parse(rec.restartAt) - Date.now()));
        }
      });
    }
  }

  /** Stops watching (capsules keep running: they belong to their shims, not to us). */
  close(): void {
    this.closed = true;
    this.launcher.close();
    for (const { watcher, timer } of this.watchers.values()) {
      watcher?.close();
      clearInterval(timer);
    }
    this.watchers.clear();
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
    for (const t of this.terminals.values()) t.kill();
    this.terminals.clear();
  }

  isImageInUse(imageId: string): boolean {
    return [...this.records.values()].some((r) => r.imageId === imageId);
  }

  async list(): Promise<Capsule[]> {
    return Promise.all([...this.records.keys()].sort().map((n) => this.get(n)));
  }

  async get(name: string): Promise<Capsule> {
    const rec = this.mustGet(name);
    return this.view(name, rec);
  }

  private view(name: string, rec: CapsuleRecord): Capsule {
    let state: Capsule['state'];
    if (rec.run) state = rec.run.paused ? 'paused' : 'running';
    else if (rec.restartAt) state = 'restarting';
    else if (rec.lastExit === null && rec.restartCount === 0) state = 'created';
    else state = 'stopped';
    return {
      name,
      spec: rec.spec,
      imageId: rec.imageId,
      imageName: rec.imageName,
      state,
      runtime: rec.runtime,
      rootfsMode: rec.rootfsMode,
      pid: rec.run?.containerPid ?? null,
      createdAt: rec.createdAt,
      startedAt: rec.run?.startedAt ?? null,
      lastExit: rec.lastExit,
      restartCount: rec.restartCount,
      network: rec.run?.network
        ? { name: rec.run.network.name, address: rec.run.network.address, hostname: rec.run.network.hostname, hostIfname: rec.run.network.hostIfname }
        : null,
      userNamespace: rec.userNamespace ?? { enabled: false, hostId: null, size: null, reason: 'created before Nova ran capsules in user namespaces' },
    };
  }

  private mustGet(name: string): CapsuleRecord {
    checkCapsuleName(name);
    const rec = this.records.get(name);
    if (!rec) throw new NovaError('not_found', `No capsule named "${name}"`, { name });
    return rec;
  }

  async create(specIn: CapsuleSpecIn): Promise<Capsule> {
    const parsed = CapsuleSpecSchema.safeParse(specIn);
    if (!parsed.success) throw schemaError('Invalid capsule spec', parsed.error);
    const spec = parsed.data;
    return this.locks.withLock(spec.name, async () => {
      if (this.records.has(spec.name)) throw new NovaError('already_exists', `A capsule named "${spec.name}" already exists`, { name: spec.name });
      const runtimeName = spec.runtime ?? this.o.runtime;
      if (runtimeName !== 'auto' && !(KNOWN_RUNTIMES as readonly string[]).includes(runtimeName)) {
        throw new NovaError('invalid_argument', `Unknown OCI runtime "${runtimeName}": use one of ${KNOWN_RUNTIMES.join(', ')}`);
      }
      const runtime = await this.o.resolveRuntime(runtimeName);
      if (!runtime) throw new NovaError('unavailable', `OCI runtime "${runtimeName}" is not installed or cannot run containers here (see nova host check)`);
      const userNamespace = decideUserNamespace(spec.name, spec.userNamespace, await this.userNamespaceSupport(runtime.path), spec.network !== undefined);
      const idMapping = mappingOf(userNamespace);
      if (spec.ioWeight !== undefined && !(await this.ioWeightSupported())) {
        throw new NovaError('unsupported', 'This host offers no IO weight (no blkio.weight / io.weight: the block scheduler has no proportional weights); omit ioWeight');
      }
      for (const v of spec.volumes) await resolveVolume(v, this.o.volumeRoots);
      if (spec.network) await this.networks.checkNetwork(spec.network, spec.ports);
      else if (spec.ports.length > 0 || spec.address !== undefined) {
        throw new NovaError('invalid_argument', `Capsule "${spec.name}" publishes ports or sets an address but joins no network: give it a Nova network`);
      }
      const image = await this.o.images.get(spec.image);
      // The first run's files are written now, as `podman create` does; a capsule on a
      // network gets them at start, once it has its place there.
      const input = await this.configInput(spec, image, spec.network ? null : this.paths(spec.name).etc, null, idMapping);
      // Fails on a missing command before anything is made.
      buildOciConfig(input);
      const rootfsMode = await this.rootfsMode();
      const tmp = join(this.root, `.creating-${spec.name}`);
      await this.removeCapsuleDir(tmp);
      try {
        await mkdir(join(tmp, 'bundle'), { recursive: true, mode: 0o700 });
        await this.makeWritableLayer(tmp, rootfsMode);
        for (const d of ['etc', 'run', 'logs', 'snapshots']) await mkdir(join(tmp, d), { mode: 0o700 });
        const lower = idMapping ? await this.o.images.shiftedRootfs(image, idMapping) : this.o.images.rootfsPath(image.id);
        // The shifted root must reach its rootfs and /etc files; 0711 lets it pass, not list.
        if (idMapping) for (const d of [tmp, join(tmp, 'bundle'), join(tmp, 'etc')]) await chmod(d, 0o711);
        // overlay's `/` is the upper dir: it takes the image root's owner and mode.
        await matchOwner(join(tmp, 'upper'), lower);
        if (rootfsMode === 'copy') await this.o.run(rt.copyTreeArgv(lower, join(tmp, 'bundle', 'rootfs')), { timeoutMs: 10 * 60_000 });
        const firstRun = spec.network ? null : await this.writeRunFiles(tmp, input, null, undefined);
        const rec: CapsuleRecord = {
          version: CAPSULE_RECORD_VERSION,
          spec,
          imageId: image.id,
          imageName: image.name,
          runtime: runtime.name,
          rootfsMode,
          createdAt: new Date().toISOString(),
          desired: 'stopped',
          restartCount: 0,
          lastExit: null,
          run: null,
          restartAt: null,
          userNamespace,
        };
        await writeJsonAtomic(join(tmp, 'capsule.json'), rec);
        await rename(tmp, this.dir(spec.name));
        this.records.set(spec.name, rec);
        this.prepared.set(spec.name, { config: firstRun?.config ?? null, etc: firstRun?.etc ?? null, runDirEmpty: true, nextLogSeq: 0 });
        this.o.onChange?.(spec.name, 'created');
        return this.view(spec.name, rec);
      } catch (err) {
        await this.removeCapsuleDir(tmp);
        throw err;
      }
    });
  }

  /**
   * The writable layer's dirs in a capsule dir being made. Where the capsules dir is on btrfs
   * the layer is a subvolume, so snapshots are instant: in copy mode the rootfs itself; in
   * overlay mode `layer/` holding upper and work together (overlayfs renames from work into
   * upper, which btrfs refuses across subvolumes), reached through the usual `upper` and
   * `work` paths as relative symlinks. Elsewhere, or without btrfs-progs, plain dirs.
   */
  private async makeWritableLayer(dir: string, mode: 'overlay' | 'copy'): Promise<void> {
    const rootfs = join(dir, 'bundle', 'rootfs');
    const subvolume = mode === 'overlay' ? join(dir, 'layer') : rootfs;
    let btrfs = await isOnBtrfs(dir);
    if (btrfs) {
      try {
        await createSubvolume(this.o.run, subvolume);
        await chmod(subvolume, 0o700);
      } catch (err) {
        if (!isNovaError(err, 'unavailable')) throw err;
        this.o.logger.warn({ dir, err }, 'capsules are on btrfs but btrfs-progs is not installed: plain layer, archive snapshots');
        btrfs = false;
      }
    }
    if (!btrfs || mode === 'overlay') await mkdir(rootfs, { mode: 0o700 });
    if (btrfs && mode === 'overlay') {
      for (const d of ['upper', 'work']) {
        await mkdir(join(subvolume, d), { mode: 0o700 });
        await symlink(join('layer', d), join(dir, d));
      }
    } else {
      for (const d of ['upper', 'work']) await mkdir(join(dir, d), { mode: 0o700 });
    }
  }

  /** Where the layer is a btrfs subvolume (see makeWritableLayer); not necessarily one. */
  private layerSubvolumePath(name: string, rec: CapsuleRecord): string {
    return rec.rootfsMode === 'overlay' ? join(this.dir(name), 'layer') : this.paths(name).rootfs;
  }

  /** Removes a capsule's dir with the btrfs subvolumes in it (its layer, its snapshots), which rm alone cannot always remove. */
  private async removeCapsuleDir(dir: string): Promise<void> {
    const layers = [join(dir, 'layer'), join(dir, 'bundle', 'rootfs')].flatMap((l) => [l, `${l}.restoring`, `${l}.old`]);
    await removeTree(this.o.run, dir, [...layers, ...(await childDirs(join(dir, 'snapshots')))]);
  }

  async start(name: string): Promise<Capsule> {
    return this.locks.withLock(name, async () => {
      const rec = this.mustGet(name);
      if (rec.run) throw new NovaError('failed_precondition', `Capsule "${name}" is already running`);
      this.cancelRestart(name);
      rec.desired = 'running';
      this.stopRequestedAt.delete(name);
      rec.restartCount = 0;
      rec.restartAt = null;
      await this.startLocked(name, rec);
      return this.view(name, rec);
    });
  }

  async stop(name: string, timeoutSec?: number): Promise<Capsule> {
    return this.locks.withLock(name, async () => {
      const rec = this.mustGet(name);
      this.cancelRestart(name);
      rec.desired = 'stopped';
      this.stopRequestedAt.set(name, Date.now());
      rec.restartAt = null;
      if (rec.run) await this.stopLocked(name, rec, timeoutSec ?? rec.spec.stopTimeoutSec);
      await this.save(name, rec);
      return this.view(name, rec);
    });
  }

  async restart(name: string): Promise<Capsule> {
    await this.stop(name);
    return this.start(name);
  }

  async pause(name: string): Promise<Capsule> {
    return this.locks.withLock(name, async () => {
      const rec = this.mustGet(name);
      if (!rec.run) throw new NovaError('failed_precondition', `Capsule "${name}" is not running`);
      if (rec.run.paused) return this.view(name, rec);
      await this.o.run(rt.pauseArgv(await this.runtimePath(rec), this.runtimeRoot, this.containerId(name)), { timeoutMs: 10_000 });
      rec.run.paused = true;
      await this.save(name, rec);
      return this.view(name, rec);
    });
  }

  async resume(name: string): Promise<Capsule> {
    return this.locks.withLock(name, async () => {
      const rec = this.mustGet(name);
      if (!rec.run || !rec.run.paused) throw new NovaError('failed_precondition', `Capsule "${name}" is not paused`);
      await this.o.run(rt.resumeArgv(await this.runtimePath(rec), this.runtimeRoot, this.containerId(name)), { timeoutMs: 10_000 });
      rec.run.paused = false;
      await this.save(name, rec);
      return this.view(name, rec);
    });
  }

  async delete(name: string, force = false): Promise<void> {
    await this.locks.withLock(name, async () => {
      const rec = this.mustGet(name);
      if (rec.run && !force) throw new NovaError('failed_precondition', `Capsule "${name}" is running: stop it first (or delete with force)`);
      this.cancelRestart(name);
      rec.desired = 'stopped';
      this.stopRequestedAt.set(name, Date.now());
      if (rec.run) await this.stopLocked(name, rec, 0);
      await this.unmountRootfs(name);
      this.records.delete(name);
      this.prepared.delete(name);
      this.stopRequestedAt.delete(name);
      const doomed = join(this.root, `.deleting-${name}`);
      await this.removeCapsuleDir(doomed);
      await rename(this.dir(name), doomed);
      await this.removeCapsuleDir(doomed);
      this.o.onChange?.(name, 'deleted');
    });
  }

  async logs(name: string, q: LogQuery): Promise<LogPage> {
    this.mustGet(name);
    return readLogs(this.paths(name).logFile, this.maxLogFiles, q);
  }

  async exec(name: string, command: readonly string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const rec = this.mustGet(name);
    if (!rec.run || rec.run.paused) throw new NovaError('failed_precondition', `Capsule "${name}" is not running`);
    if (command.length === 0) throw new NovaError('invalid_argument', 'exec needs a command');
    const r = await this.o.run(rt.execArgv(await this.runtimePath(rec), this.runtimeRoot, this.containerId(name), command, { tty: false, env: opts.env, cwd: opts.cwd }), {
      timeoutMs: opts.timeoutMs ?? 60_000,
      allowFailure: true,
    });
    return r;
  }

  /** An interactive terminal in the capsule (`runc exec --tty` under a pty, in a pty host process). */
  async openTerminal(name: string, opts: { command?: string[]; cols?: number; rows?: number } = {}): Promise<TerminalSession> {
    const rec = this.mustGet(name);
    if (!rec.run || rec.run.paused) throw new NovaError('failed_precondition', `Capsule "${name}" is not running`);
    if (!this.o.ptySpawn) throw new NovaError('unsupported', 'Interactive terminals need node-pty, which is not installed with this helper');
    const argv = rt.execArgv(await this.runtimePath(rec), this.runtimeRoot, this.containerId(name), opts.command ?? ['/bin/sh'], {
      tty: true,
      env: { TERM: 'xterm-256color' },
    });
    const [file, ...args] = argv as [string, ...string[]];
    const pty = this.o.ptySpawn(file, args, {
      name: 'xterm-256color',
      cols: opts.cols ?? 80,
      rows: opts.rows ?? 24,
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TERM: 'xterm-256color' },
    });
    const id = `${name}-${++this.terminalSeq}`;
    this.terminals.set(id, pty);
    pty.onExit(() => this.terminals.delete(id));
    return {
      id,
      onData: (l) => void pty.onData(l),
      onExit: (l) => void pty.onExit((e) => l(e.exitCode)),
      write: (d) => pty.write(d),
      resize: (c, r) => pty.resize(c, r),
      close: () => {
        this.terminals.delete(id);
        pty.kill();
      },
    };
  }

  async metrics(name: string): Promise<CapsuleMetrics> {
    const rec = this.mustGet(name);
    if (!rec.run) throw new NovaError('failed_precondition', `Capsule "${name}" is not running: no metrics`);
    const metrics = await readCgroupMetrics(this.cgroupsPath(name), this.o.cgroupRoot);
    const veth = rec.run.network ? await readVethCounters(rec.run.network.hostIfname) : null;
    return { ...metrics, netRxBytes: veth?.rxBytes ?? null, netTxBytes: veth?.txBytes ?? null };
  }

  // ---- snapshots of the writable layer ----
  // A layer that is a btrfs subvolume is snapshotted as one (SNAPSHOTS/NAME, read-only); any
  // other is archived (SNAPSHOTS/NAME.tar). Either way SNAPSHOTS/NAME.json describes it.

  async snapshotCreate(name: string, snapshot: string): Promise<CapsuleSnapshot> {
    checkCapsuleName(snapshot);
    return this.locks.withLock(name, async () => {
      const rec = this.mustGet(name);
      const p = this.paths(name);
      const archive = join(p.snapshots, `${snapshot}.tar`);
      const subvolumeSnapshot = join(p.snapshots, snapshot);
      if ((await pathExists(archive)) || (await pathExists(subvolumeSnapshot))) {
        throw new NovaError('already_exists', `Capsule "${name}" already has a snapshot "${snapshot}"`);
      }
      const subvolume = this.layerSubvolumePath(name, rec);
      const onBtrfs = await isSubvolume(subvolume);
      const layer = rec.rootfsMode === 'overlay' ? p.upper : p.rootfs;
      // A running capsule is frozen meanwhile, so the snapshot or archive is consistent.
      const freeze = rec.run !== null && !rec.run.paused;
      const runtime = await this.runtimePath(rec);
      if (freeze) await this.o.run(rt.pauseArgv(runtime, this.runtimeRoot, this.containerId(name)), { timeoutMs: 10_000 });
      const tmp = `${archive}.tmp`;
      try {
        if (onBtrfs) {
          await snapshotSubvolume(this.o.run, subvolume, subvolumeSnapshot, true);
        } else {
          await this.o.run(rt.tarCreateArgv(tmp, layer), { timeoutMs: 30 * 60_000 });
          await rename(tmp, archive);
        }
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      } finally {
        if (freeze) await this.o.run(rt.resumeArgv(runtime, this.runtimeRoot, this.containerId(name)), { timeoutMs: 10_000 });
      }
      // A btrfs snapshot shares its blocks with the layer; what it alone holds is known only
      // with quotas enabled (and costly even then), so its size is reported as unknown.
      const meta: CapsuleSnapshot = onBtrfs
        ? { name: snapshot, createdAt: new Date().toISOString(), sizeBytes: null, kind: 'btrfs' }
        : { name: snapshot, createdAt: new Date().toISOString(), sizeBytes: (await stat(archive)).size, kind: 'archive' };
      await writeJsonAtomic(join(p.snapshots, `${snapshot}.json`), meta);
      return meta;
    });
  }

  async snapshotList(name: string): Promise<CapsuleSnapshot[]> {
    this.mustGet(name);
    const dir = this.paths(name).snapshots;
    const out: CapsuleSnapshot[] = [];
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as CapsuleSnapshot);
      } catch {
        // a snapshot being written
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async snapshotRestore(name: string, snapshot: string): Promise<void> {
    checkCapsuleName(snapshot);
    await this.locks.withLock(name, async () => {
      const rec = this.mustGet(name);
      if (rec.run) throw new NovaError('failed_precondition', `Capsule "${name}" is running: stop it before restoring a snapshot`);
      const p = this.paths(name);
      const archive = join(p.snapshots, `${snapshot}.tar`);
      const subvolumeSnapshot = join(p.snapshots, snapshot);
      const fromBtrfs = await isSubvolume(subvolumeSnapshot);
      if (!fromBtrfs && !(await pathExists(archive))) throw new NovaError('not_found', `Capsule "${name}" has no snapshot "${snapshot}"`);
      await this.unmountRootfs(name);
      const layer = fromBtrfs ? this.layerSubvolumePath(name, rec) : rec.rootfsMode === 'overlay' ? p.upper : p.rootfs;
      // Made beside the layer, then swapped in: a failure leaves the current layer intact.
      const fresh = `${layer}.restoring`;
      const old = `${layer}.old`;
      await removeTree(this.o.run, fresh, [fresh]);
      await removeTree(this.o.run, old, [old]);
      try {
        if (fromBtrfs) {
          await snapshotSubvolume(this.o.run, subvolumeSnapshot, fresh, false);
        } else {
          await mkdir(fresh, { mode: 0o755 });
          await this.o.run(rt.tarExtractArgv(archive, fresh), { timeoutMs: 30 * 60_000 });
        }
      } catch (err) {
        await removeTree(this.o.run, fresh, [fresh]);
        throw err;
      }
      await rename(layer, old);
      await rename(fresh, layer);
      await removeTree(this.o.run, old, [old]);
      if (rec.rootfsMode === 'overlay') {
        // The snapshot of a running capsule holds overlayfs's work dir as it was then.
        const work = fromBtrfs ? join(layer, 'work') : p.work;
        await rm(work, { recursive: true, force: true });
        await mkdir(work, { mode: 0o700 });
      }
    });
  }

  async snapshotDelete(name: string, snapshot: string): Promise<void> {
    checkCapsuleName(snapshot);
    await this.locks.withLock(name, async () => {
      this.mustGet(name);
      const p = this.paths(name);
      const archive = join(p.snapshots, `${snapshot}.tar`);
      const subvolumeSnapshot = join(p.snapshots, snapshot);
      const fromBtrfs = await pathExists(subvolumeSnapshot);
      if (!fromBtrfs && !(await pathExists(archive))) throw new NovaError('not_found', `Capsule "${name}" has no snapshot "${snapshot}"`);
      await rm(join(p.snapshots, `${snapshot}.json`), { force: true });
      if (fromBtrfs) await removeTree(this.o.run, subvolumeSnapshot, [subvolumeSnapshot]);
      else await rm(archive, { force: true });
    });
  }

  /** Resolves when the capsule's current run has ended (tests and `stop`). */
  waitForExit(name: string, timeoutMs: number): Promise<boolean> {
    const rec = this.records.get(name);
    if (!rec?.run) return Promise.resolve(true);
    return new Promise((resolve) => {
      const set = this.exitWaiters.get(name) ?? new Set();
      this.exitWaiters.set(name, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        set.delete(done);
        resolve(false);
      }, timeoutMs);
      set.add(done);
    });
  }

  // ---- internals ----

  private async startLocked(name: string, rec: CapsuleRecord): Promise<void> {
    const p = this.paths(name);
    const id = this.containerId(name);
    const prepared = this.prepared.get(name);
    const image = await this.o.images.get(rec.imageId);
    // Lookups that do not depend on each other, side by side.
    const [runtime, staleRuntimeState, rootfsOverlay, firstSeq] = await Promise.all([
      this.runtimePath(rec),
      stat(join(this.runtimeRoot, id)).then(() => true, () => false),
      this.rootfsOverlay(name, rec, image),
      prepared?.nextLogSeq ?? nextLogSeq(p.logFile),
    ]);
    // A runtime record left by a crash would make `run` refuse the id (runc and crun keep
    // it in ROOT/ID); only then is `delete` worth its process.
    if (staleRuntimeState) await this.o.run(rt.deleteArgv(runtime, this.runtimeRoot, id), { timeoutMs: 10_000, allowFailure: true });
    if (!prepared?.runDirEmpty) {
      await rm(p.run, { recursive: true, force: true });
      await mkdir(p.run, { mode: 0o700 });
    }
    let net: CapsuleAttachment | null = null;
    try {
      net = await this.joinNetwork(name, rec.spec);
      const input = await this.configInput(rec.spec, image, p.etc, net ? join(this.o.netnsDir ?? '/run/netns', this.netnsName(name)) : null, mappingOf(rec.userNamespace));
      const files = await this.writeRunFiles(this.dir(name), input, net, prepared).catch((err: unknown) => {
        // A write cut short (a full disk) may have left half a file: the next start rewrites all.
        this.prepared.delete(name);
        throw err;
      });
      // From now on the /etc files are this run's: whatever it does to them, the next start rewrites them.
      this.prepared.set(name, { config: files.config, etc: null, runDirEmpty: false, nextLogSeq: null });
      if (input.idMapping && net) await this.o.run(netnsSysctlArgv(this.netnsName(name)), { timeoutMs: 10_000 });
      const shimSpec: ShimSpec = {
        runtime,
        runtimeRoot: this.runtimeRoot,
        bundle: p.bundle,
        id,
        pidFile: p.pidFile,
        exitFile: p.exitFile,
        logFile: p.logFile,
        maxLogBytes: this.o.maxLogBytes ?? 10 * 1024 * 1024,
        maxLogFiles: this.maxLogFiles,
        firstSeq,
        memoryCgroupDir: memoryCgroupDirV1(this.cgroupsPath(name), this.o.cgroupRoot),
        unifiedCgroupDir: join(this.o.cgroupRoot ?? '/sys/fs/cgroup', this.cgroupsPath(name)),
        rootfsOverlay,
      };
      // Watching run/ from before the shim starts, so its first write cannot be missed.
      const runDirChanged = dirChanges(p.run, START_WAIT_MS);
      const [file, ...args] = this.o.shimCommand as [string, ...string[]];
      let shimPid: number;
      try {
        shimPid = await this.launcher.launch([file, ...args, ...shimArgv(shimSpec)]);
      } catch (err) {
        runDirChanged.close();
        throw new NovaError('internal', `The capsule shim ${file} could not be started (${err instanceof Error ? err.message : String(err)}): check that it was built (npm run build:node)`);
      }
      // A shim that fails at once (its mount, say) may be gone before its start time is read;
      // its exit record then tells why, in the wait below.
      const shimStart = (await processStartTime(shimPid)) ?? ((await this.readShimExit(name)) ? 'exited' : null);
      if (!shimStart) {
        runDirChanged.close();
        throw new NovaError('internal', `The capsule shim ${file} exited at once: run it by hand to see why`);
      }
      const network = net ? { name: net.network, address: net.address, hostIfname: net.hostIfname, hostname: net.hostname, netns: this.netnsName(name) } : null;
      rec.run = { shimPid, shimStart, containerPid: null, startedAt: new Date().toISOString(), paused: false, network };
      // Durable (fsynced) before start returns: a helper killed from then on finds the shim
      // again through this record, and a power cut cannot leave a torn one. Its fsync waits
      // on the disk, not the CPU, so it runs while runc starts the container.
      const saved = this.save(name, rec);
      saved.catch(() => undefined);
      // Wait for the container's pid (started) or the shim's exit record (failed at once).
      const deadline = Date.now() + START_WAIT_MS;
      while (Date.now() < deadline) {
        const pid = readSmallFile(p.pidFile, (t) => Number(t.trim()));
        if (pid) {
          rec.run.containerPid = pid;
          break;
        }
        const exit = await this.readShimExit(name);
        if (exit && !exit.started) {
          await saved;
          const failed = rec.run;
          rec.run = null;
          rec.desired = 'stopped';
          rec.lastExit = exitFromShim(exit, false);
          runDirChanged.close();
          await this.save(name, rec);
          await this.unmountRootfs(name);
          await this.leaveNetwork(name, rec.spec, failed.network ?? null);
          throw new NovaError('failed_precondition', `Capsule "${name}" could not start: ${exit.runtimeError ?? 'the runtime failed'}`);
        }
        if (exit) break;
        await runDirChanged.next(25);
      }
      runDirChanged.close();
      await saved;
      if (rec.run && rec.run.containerPid === null && !(await this.readShimExit(name))) {
        this.o.logger.warn({ capsule: name }, 'container pid not reported in time; supervising anyway');
      }
      // The record on disk already names the shim (saved above). The container's pid joins it
      // at the next save, and recover() reads it back from the pid file: no second fsync while
      // a short run may already be ending.
      this.o.onChange?.(name, this.view(name, rec).state);
      this.supervise(name);
    } catch (err) {
      if (!rec.run) {
        await this.unmountRootfs(name);
        if (net) await this.leaveNetwork(name, rec.spec, { name: net.network, address: net.address, netns: this.netnsName(name) });
      }
      throw err;
    }
  }

  /** The capsule's namespace, its veth and address, and its published ports; null without a network. */
  private async joinNetwork(name: string, spec: CapsuleSpec): Promise<CapsuleAttachment | null> {
    if (!spec.network) return null;
    const ns = this.netnsName(name);
    // A namespace left by a crash is this capsule's own (its name is derived): start afresh.
    await this.namespaces.create(ns, mappingOf(this.records.get(name)?.userNamespace));
    let net: CapsuleAttachment | null = null;
    try {
      await this.o.run(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up'], { timeoutMs: 10_000 });
      net = await this.networks.attach(spec.network, name, ns, spec.address);
      if (spec.ports.length > 0) await this.networks.publish(spec.network, net.address, spec.ports);
      return net;
    } catch (err) {
      await this.leaveNetwork(name, spec, { name: spec.network, address: net?.address ?? null, netns: ns });
      throw err;
    }
  }

  /** Gives back what joinNetwork took; every step is idempotent, so it is safe to repeat. */
  private async leaveNetwork(name: string, spec: CapsuleSpec, net: { name: string; address: string | null; netns: string } | null): Promise<void> {
    if (!net && !spec.network) return;
    const network = net?.name ?? (spec.network as string);
    const ns = net?.netns ?? this.netnsName(name);
    try {
      if (net?.address && spec.ports.length > 0) await this.networks.unpublish(network, net.address, spec.ports);
      await this.networks.detach(network, name);
    } catch (err) {
      this.o.logger.warn({ capsule: name, network, err }, 'could not release the capsule network attachment');
    }
    await this.namespaces.remove(ns).catch((err: unknown) => this.o.logger.warn({ capsule: name, netns: ns, err }, 'could not remove the capsule namespaces'));
  }

  private async stopLocked(name: string, rec: CapsuleRecord, timeoutSec: number): Promise<void> {
    const runtime = await this.runtimePath(rec);
    const id = this.containerId(name);
    this.stopping.add(name);
    try {
      // The run may have ended on its own just before: reap it rather than signal nothing.
      if (await this.readShimExit(name)) {
        await this.reapExit(name, true);
        return;
      }
      if (rec.run?.paused) await this.o.run(rt.resumeArgv(runtime, this.runtimeRoot, id), { timeoutMs: 10_000, allowFailure: true });
      const exited = this.waitForExit(name, timeoutSec * 1000);
      if (timeoutSec > 0) await this.o.run(rt.killArgv(runtime, this.runtimeRoot, id, 'SIGTERM'), { timeoutMs: 10_000, allowFailure: true });
      if (!(await exited) || timeoutSec === 0) {
        const killed = this.waitForExit(name, KILL_WAIT_MS);
        await this.o.run(rt.killArgv(runtime, this.runtimeRoot, id, 'SIGKILL', true), { timeoutMs: 10_000, allowFailure: true });
        if (!(await killed)) {
          // The shim is gone or stuck: clean up behind it.
          await this.o.run(rt.deleteArgv(runtime, this.runtimeRoot, id), { timeoutMs: 10_000, allowFailure: true });
          if (rec.run && (await isSameProcess(rec.run.shimPid, rec.run.shimStart))) process.kill(rec.run.shimPid, 'SIGKILL');
          await this.reapExit(name, true);
        }
      }
    } finally {
      // A reap started by the shim's exit record runs outside the lock this stop holds: it
      // must be over, unmount included, before anything else may touch this capsule.
      await this.reaping.get(name)?.catch(() => undefined);
      this.stopping.delete(name);
    }
  }

  private supervise(name: string): void {
    if (this.closed || this.watchers.has(name)) return;
    const p = this.paths(name);
    const check = () => void this.checkExit(name);
    let watcher: FSWatcher | null = null;
    try {
      watcher = watch(p.run, (_e, file) => {
        if (file === 'exit.json') check();
      });
      watcher.on('error', () => undefined);
    } catch {
      watcher = null;
    }
    const timer = setInterval(check, SUPERVISE_POLL_MS);
    this.watchers.set(name, { watcher, timer });
    check();
  }

  private unsupervise(name: string): void {
    const w = this.watchers.get(name);
    if (!w) return;
    w.watcher?.close();
    clearInterval(w.timer);
    this.watchers.delete(name);
  }

  private async checkExit(name: string): Promise<void> {
    const rec = this.records.get(name);
    const run = rec?.run;
    if (!run) return;
    const exitFile = await this.readShimExit(name);
    if (!exitFile && (await isSameProcess(run.shimPid, run.shimStart))) return;
    // Outside the lock when called from stop (which holds it); inside otherwise. The run
    // seen above must still be the current one: a check that waited for the lock while the
    // restart policy started a new run must not reap that new run.
    if (this.stopping.has(name)) await this.reapExit(name, true, run, exitFile);
    else await this.locks.withLock(name, () => this.reapExit(name, false, run, exitFile));
  }

  /** Records how the run ended, cleans up and applies the restart policy. Caller holds the lock. */
  private async reapExit(name: string, stopRequested = false, expectedRun?: CapsuleRecord['run'], knownExit: ShimExit | null = null): Promise<void> {
    const inFlight = this.reaping.get(name);
    if (inFlight) return inFlight;
    const rec = this.records.get(name);
    if (!rec?.run) return;
    if (expectedRun !== undefined && rec.run !== expectedRun) return;
    const done = this.reapExitOnce(name, rec, stopRequested, knownExit).finally(() => this.reaping.delete(name));
    this.reaping.set(name, done);
    return done;
  }

  private async reapExitOnce(name: string, rec: CapsuleRecord, stopRequested: boolean, knownExit: ShimExit | null): Promise<void> {
    this.unsupervise(name);
    // The shim writes its record once (renamed into place), so one read by checkExit is final.
    const shimExit = knownExit ?? (await this.readShimExit(name));
    let exit: CapsuleExit;
    if (shimExit) {
      exit = exitFromShim(shimExit, stopRequested || rec.desired === 'stopped', this.stopRequestedAt.get(name) ?? null);
    } else {
      // The shim died without a record (killed by hand): the container lost its log pipes.
      exit = { exitCode: null, signal: null, reason: 'lost', at: new Date().toISOString(), message: 'the capsule shim was killed; the container was stopped' };
      const runtime = await this.runtimePath(rec);
      await this.o.run(rt.killArgv(runtime, this.runtimeRoot, this.containerId(name), 'SIGKILL', true), { timeoutMs: 10_000, allowFailure: true });
      await this.o.run(rt.deleteArgv(runtime, this.runtimeRoot, this.containerId(name)), { timeoutMs: 10_000, allowFailure: true });
    }
    const ended = rec.run;
    rec.run = null;
    rec.lastExit = exit;
    if (ended?.network) await this.leaveNetwork(name, rec.spec, ended.network);
    this.o.logger.info({ capsule: name, exit }, 'capsule exited');
    if (rec.desired === 'running' && !stopRequested && shouldRestart(rec.spec, exit, rec.restartCount)) {
      const delay = Math.min(10_000, (this.o.restartBackoffMs ?? 100) * 2 ** Math.min(rec.restartCount, 10));
      rec.restartAt = new Date(Date.now() + delay).toISOString();
      this.scheduleRestart(name, delay);
    } else if (rec.desired === 'running') {
      rec.desired = 'stopped';
    }
    // Waiters hear of the exit before the record is saved: until then the shim's exit file
    // (renamed into place, so whole) is the exit's record on disk, and a helper killed now
    // reaps it from there on recover() just the same. The save (fsynced: capsule.json holds
    // the spec too, so a power cut must find it whole) follows under the lock.
    for (const w of [...(this.exitWaiters.get(name) ?? [])]) w();
    await this.save(name, rec);
    // Unmounting syncs the upper filesystem (milliseconds, more under load), so it comes
    // after the exit is recorded; still under the lock, so nothing starts, restores or
    // deletes meanwhile. A crash before it leaves a mount that start and delete both expect.
    await this.unmountRootfs(name);
  }

  private scheduleRestart(name: string, delayMs: number): void {
    if (this.closed) return;
    this.cancelRestart(name);
    const t = setTimeout(() => {
      this.restartTimers.delete(name);
      void this.locks
        .withLock(name, async () => {
          const rec = this.records.get(name);
          if (!rec || rec.run || rec.desired !== 'running' || !rec.restartAt) return;
          rec.restartCount += 1;
          rec.restartAt = null;
          await this.startLocked(name, rec);
        })
        .catch((err: unknown) => this.o.logger.error({ capsule: name, err }, 'restart failed'));
    }, delayMs);
    this.restartTimers.set(name, t);
  }

  private cancelRestart(name: string): void {
    const t = this.restartTimers.get(name);
    if (t) clearTimeout(t);
    this.restartTimers.delete(name);
  }

  private async readShimExit(name: string): Promise<ShimExit | null> {
    return readSmallFile(this.paths(name).exitFile, (t) => JSON.parse(t) as ShimExit);
  }

  private async configInput(spec: CapsuleSpec, image: OciImage, etcDir: string | null, netnsPath: string | null, idMapping: IdMapping | null) {
    const volumes = [];
    for (const v of spec.volumes) volumes.push(await resolveVolume(v, this.o.volumeRoots));
    if (idMapping) await checkVolumesReachable(spec.name, volumes.map((v) => v.source), idMapping);
    return {
      spec,
      image: image.config,
      rootfsPath: 'rootfs',
      cgroupsPath: this.cgroupsPath(spec.name),
      netnsPath,
      idMapping,
      usernsPath: netnsPath && idMapping ? this.namespaces.usernsPath(this.netnsName(spec.name)) : null,
      volumes,
      user: await resolveUser(spec.user ?? image.config.user, this.o.images.rootfsPath(image.id)),
      etcFiles: etcDir ? { hosts: join(etcDir, 'hosts'), hostname: join(etcDir, 'hostname'), resolvConf: join(etcDir, 'resolv.conf') } : null,
    };
  }

  /**
   * Writes what a run reads into `dir` (the capsule's dir, or the one create() is making):
   * the /etc files bound into the capsule and runc's config.json, each only when it differs
   * from what this manager last left there (`previous`). Not fsynced: only the coming run
   * reads them, and a restarted helper, which knows no `previous`, writes them again.
   */
  private async writeRunFiles(dir: string, input: OciConfigInput, net: CapsuleAttachment | null, previous: PreparedRun | undefined): Promise<{ config: string; etc: string }> {
    const hostname = input.spec.hostname ?? input.spec.name.replace(/_/g, '-');
    const etcFiles: [string, string][] = [
      ['hosts', hostsFile(hostname, net)],
      ['hostname', `${hostname}\n`],
      ['resolv.conf', resolvConf(net)],
    ];
    const etc = etcFiles.map(([, text]) => text).join('\0');
    const config = JSON.stringify(buildOciConfig(input), null, 2) + '\n';
    const idMapping = input.idMapping;
    const writes: Promise<void>[] = [];
    if (previous?.etc !== etc) {
      for (const [f, text] of etcFiles) {
        const file = join(dir, 'etc', f);
        writes.push(writeFile(file, text).then(() => (idMapping ? chown(file, idMapping.hostId, idMapping.hostId) : undefined)));
      }
    }
    if (previous?.config !== config) writes.push(writeFile(join(dir, 'bundle', 'config.json'), config, { mode: 0o600 }));
    await Promise.all(writes);
    return { config, etc };
  }

  private userNamespaceSupport(runtimePath: string): Promise<UserNamespaceSupport> {
    if (this.o.userNamespaces) return this.o.userNamespaces(runtimePath);
    if (this.o.idMapping) return Promise.resolve({ mapping: this.o.idMapping, reason: null });
    return Promise.resolve({ mapping: null, reason: 'this helper runs capsules without user namespaces (none configured)' });
  }

  private async rootfsMode(): Promise<'overlay' | 'copy'> {
    if (this.o.forceRootfsMode) return this.o.forceRootfsMode;
    if (this.overlayWorks === null) this.overlayWorks = await this.probeOverlay();
    return this.overlayWorks ? 'overlay' : 'copy';
  }

  /** Mounts a throwaway overlay in the state dir: the kernel and the filesystem decide. */
  private async probeOverlay(): Promise<boolean> {
    if (/[,:]/.test(this.o.stateDir)) return false;
    const d = join(this.root, `.overlay-probe-${process.pid}`);
    try {
      for (const s of ['lower', 'upper', 'work', 'merged']) await mkdir(join(d, s), { recursive: true });
      const r = await this.o.run(rt.overlayMountArgv(join(d, 'lower'), join(d, 'upper'), join(d, 'work'), join(d, 'merged')), { timeoutMs: 10_000, allowFailure: true });
      if (r.exitCode !== 0) return false;
      await this.o.run(rt.umountArgv(join(d, 'merged')), { timeoutMs: 10_000, allowFailure: true });
      return true;
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  }

  private async isMounted(path: string): Promise<boolean> {
    // Synchronous: procfs makes it up in the kernel, never waiting on a disk, in less time
    // than readFile's trips to libuv's thread pool take.
    const info = readFileSync('/proc/self/mountinfo', 'utf8');
    return info.split('\n').some((l) => l.split(' ')[4] === path);
  }

  /** The overlay the shim mounts as the run's rootfs (a syscall there, not a `mount` process here); null in copy mode or when one is still mounted. */
  private async rootfsOverlay(name: string, rec: CapsuleRecord, image: OciImage): Promise<ShimSpec['rootfsOverlay']> {
    if (rec.rootfsMode !== 'overlay') return null;
    const p = this.paths(name);
    if (await this.isMounted(p.rootfs)) return null;
    const m = mappingOf(rec.userNamespace);
    const lower = m ? this.o.images.shiftedRootfsPath(image.id, m) : this.o.images.rootfsPath(image.id);
    return { lower, upper: p.upper, work: p.work, target: p.rootfs };
  }

  private async unmountRootfs(name: string): Promise<void> {
    const rec = this.records.get(name);
    if (rec && rec.rootfsMode !== 'overlay') return;
    const p = this.paths(name);
    if (await this.isMounted(p.rootfs)) await this.o.run(rt.umountArgv(p.rootfs), { timeoutMs: 10_000, allowFailure: true });
  }

  private async ioWeightSupported(): Promise<boolean> {
    const root = this.o.cgroupRoot ?? '/sys/fs/cgroup';
    for (const f of ['blkio/blkio.weight', 'blkio/blkio.bfq.weight', 'io.weight', 'io.bfq.weight']) {
      if (await stat(join(root, f)).then(() => true, () => false)) return true;
    }
    return false;
  }

  /**
   * Looked up once per runtime name (a lookup walks PATH, a few stats, on every start
   * otherwise); a binary removed since makes the run fail with the shim's "cannot run".
   */
  private async runtimePath(rec: CapsuleRecord): Promise<string> {
    const known = this.runtimePaths.get(rec.runtime);
    if (known) return known;
    const r = await this.o.resolveRuntime(rec.runtime);
    if (!r) throw new NovaError('unavailable', `OCI runtime "${rec.runtime}" is no longer available on this host`);
    this.runtimePaths.set(rec.runtime, r.path);
    return r.path;
  }

  private async readRecord(name: string): Promise<CapsuleRecord | null> {
    try {
      const raw = JSON.parse(await readFile(this.paths(name).record, 'utf8')) as unknown;
      const parsed = CapsuleRecordSchema.safeParse(raw);
      if (!parsed.success) {
        this.o.logger.error({ capsule: name, issues: parsed.error.issues }, 'unreadable capsule record: skipped');
        return null;
      }
      return parsed.data;
    } catch {
      return null;
    }
  }

  private async save(name: string, rec: CapsuleRecord): Promise<void> {
    if (!this.records.has(name)) return;
    await writeJsonAtomic(this.paths(name).record, rec);
    this.o.onChange?.(name, this.view(name, rec).state);
  }
}

/** `uid[:gid]` numbers as given; names looked up in the image's /etc/passwd and /etc/group. */
export async function resolveUser(user: string, rootfs: string): Promise<{ uid: number; gid: number }> {
  if (!user) return { uid: 0, gid: 0 };
  const [u, g] = user.split(':') as [string, string | undefined];
  const passwd = /^\d+$/.test(u) && (g === undefined || /^\d+$/.test(g)) ? '' : await readFile(join(rootfs, 'etc/passwd'), 'utf8').catch(() => '');
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
  } else {
    const line = passwd.split('\n').find((l) => l.split(':')[0] === u);
    if (!line) throw new NovaError('invalid_argument', `User "${u}" is not in the image's /etc/passwd`);
    const f = line.split(':');
    uid = Number(f[2]);
    gid = Number(f[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const groups = await readFile(join(rootfs, 'etc/group'), 'utf8').catch(() => '');
      const line = groups.split('\n').find((l) => l.split(':')[0] === g);
      if (!line) throw new NovaError('invalid_argument', `Group "${g}" is not in the image's /etc/group`);
      gid = Number(line.split(':')[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}
