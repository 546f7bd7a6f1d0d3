// CapsuleManager: the lifecycle of capsules on one host, the face the helper's methods
// call. Each capsule is a directory under STATE/capsules/NAME (capsule.json, bundle, writable
// layer, logs, snapshots); each run is a CapsuleRun watched by conmon, which outlives the
// helper: a new manager reattaches (pid + start time), reaps runs that ended meanwhile, and
// keeps applying restart policies. Long actions (create, snapshots) are operations; every
// other change holds the same capsule lock, so a conflicting request is refused as `locked`.
// Its callers hand it what the contract parsed (the RPC dispatcher validates each call once).
// Over 400 lines for a reason: it is the one face of every capsule verb, each a few lines
// of locking over the collaborators above; split, the lock discipline would be scattered.
import { mkdir, readdir, realpath, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CAPSULE_NAME_PATTERN, type Capsule, type CapsuleMetrics, type CapsuleSnapshot, type CapsuleSpec, type CapsuleUpdateSpec } from '../../../src-shared/capsule.js';
import type { SnapshotTaking } from '../../../src-shared/snapshot-policy.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { GuestHealth } from '../../../src-shared/health.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import type { OperationManager, Requester } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { readRecord, writeRecord } from '../state/record-store.js';
import { StartIntents } from '../state/start-intent.js';
import type { Logger } from '../util/logger.js';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import { BrokenCapsules } from './broken-capsules.js';
import { whenCancelled } from './cancelled.js';
import { CapsuleLayers, type RootfsMode } from './capsule-layer.js';
import { CapsuleLayout } from './capsule-layout.js';
import { CapsuleLog, type LogPage, type LogQuery } from './capsule-logs.js';
import { CapsuleMonitor } from './capsule-monitor.js';
import type { CapsuleMoveHost } from './capsule-move.js';
import { noCapsuleNetworkPort, readVethCounters, type CapsuleNetworkPort } from './capsule-network.js';
import { CapsuleNetworkJoin } from './capsule-network-join.js';
import { CapsuleNamespaces, DEFAULT_NETNS_DIR } from './capsule-netns.js';
import { CapsuleProvisioner, checkRuntimeName } from './capsule-provisioner.js';
import { CAPSULE_RECORD, capsuleView, type CapsuleRecord } from './capsule-record.js';
import { CapsuleRun } from './capsule-run.js';
import { CapsuleSnapshots } from './capsule-snapshots.js';
import { checkAdoptable } from '../state/project-owner.js';
import { CapsuleStarter } from './capsule-starter.js';
import { CapsuleTerminals, type PtySpawn, type TerminalSession } from './capsule-terminals.js';
import { MonitorCgroup } from './monitor-cgroup.js';
import { readCgroupMetrics } from './cgroup-metrics.js';
import type { ImageStore } from './image-store.js';
import { InterruptedStarts } from './interrupted-start.js';
import type { IdMapping } from './oci-config.js';
import { RunFiles, type PreparedRun } from './run-files.js';
import * as rt from './runtime-argv.js';
import { RunLifecycle, type CapsuleSlot as Slot } from './run-lifecycle.js';
import type { UserNamespaceSupport } from './user-namespace.js';
import { VolumeStaging } from './volume-staging.js';

export type { PtyProcess, PtySpawn, TerminalSession } from './capsule-terminals.js';

const RUNTIME_TIMEOUT_MS = 10_000;

export interface CapsuleManagerOptions {
  stateDir: string;
  images: ImageStore;
  runner: Pick<ProcessRunner, 'run' | 'spawnDetached'>;
  operations: OperationManager;
  logger: Logger;
  /** `auto` probes (crun first, then runc, as the host check does); or a runtime name. */
  runtime: string;
  /** Resolves a runtime name to the binary that works here; null when it does not. */
  resolveRuntime: (name: string) => Promise<{ name: string; path: string } | null>;
  /** The conmon binary (default: `conmon` on the fixed PATH). */
  conmon?: string;
  /** nova-runtime-run (default: beside the helper's code). */
  runtimeWrapper?: string;
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
  forceRootfsMode?: RootfsMode;
  /** Veths, addresses and port forwards on Nova networks; without it, capsules with a network are refused. */
  networks?: CapsuleNetworkPort;
  /** Where named network namespaces live (`ip netns`), default /run/netns. */
  netnsDir?: string;
  /** The host's /dev, where capsules' GPU nodes are found; default /dev. */
  devRoot?: string;
  /** Where CDI specs are read; default /etc/cdi and /var/run/cdi. */
  cdiDirs?: readonly string[];
  /** Told after every change of a capsule's record (a signal to refetch); `deleted` when it is gone. */
  onChange?: (name: string, state: Capsule['state'] | 'deleted') => void;
  /** The health monitors' verdict on a running capsule (helper/src/health); null without one. */
  healthOf?: (name: string) => GuestHealth | null;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class CapsuleManager {
  private readonly layout: CapsuleLayout;
  private readonly slots = new Map<string, Slot>();
  private readonly runtimePaths = new Map<string, string>();
  private readonly layers: CapsuleLayers;
  private readonly monitor: CapsuleMonitor;
  private readonly monitorCgroup: MonitorCgroup;
  private readonly provisioner: CapsuleProvisioner;
  private readonly snapshots: CapsuleSnapshots;
  private readonly terminals: CapsuleTerminals;
  private readonly lifecycle: RunLifecycle;
  private readonly volumes: VolumeStaging;
  private readonly interrupted: InterruptedStarts;
  private readonly brokenOnes: BrokenCapsules;

  constructor(private readonly o: CapsuleManagerOptions) {
    checkRuntimeName(o.runtime, true);
    const layout = new CapsuleLayout(o.stateDir, o.containerIdPrefix, o.cgroupParent);
    this.layout = layout;
    const runner = o.runner;
    let namespaces: CapsuleNamespaces | null = null;
    // Made on first use: most capsules never join a network.
    const ns = () => (namespaces ??= new CapsuleNamespaces({ runner, ...(o.netnsDir ? { netnsDir: o.netnsDir } : {}) }));
    const networks = o.networks ?? noCapsuleNetworkPort;
    const cgroupRoot = o.cgroupRoot ?? '/sys/fs/cgroup';
    this.layers = new CapsuleLayers({ layout, images: o.images, runner, logger: o.logger, stateDir: o.stateDir, ...(o.forceRootfsMode ? { forceRootfsMode: o.forceRootfsMode } : {}) });
    const runFiles = new RunFiles({ layout, images: o.images, namespaces: ns, netnsDir: o.netnsDir ?? DEFAULT_NETNS_DIR, ...(o.devRoot ? { devRoot: o.devRoot } : {}), ...(o.cdiDirs ? { cdiDirs: o.cdiDirs } : {}) });
    this.volumes = new VolumeStaging({ layout, runner, volumeRoots: o.volumeRoots });
    this.monitorCgroup = new MonitorCgroup({ cgroupRoot, parent: layout.cgroupParent, logger: o.logger });
    this.monitor = new CapsuleMonitor({ runner, cgroupRoot, monitorCgroup: this.monitorCgroup, ...(o.conmon ? { conmon: o.conmon } : {}), ...(o.runtimeWrapper ? { runtimeWrapper: o.runtimeWrapper } : {}) });
    const network = new CapsuleNetworkJoin({ layout, runner, logger: o.logger, networks, namespaces: ns });
    const save = (name: string, rec: CapsuleRecord) => this.save(name, rec);
    const runtimePath = (rec: CapsuleRecord) => this.runtimePath(rec);
    const intents = new StartIntents(join(o.stateDir, 'start-intents'));
    this.interrupted = new InterruptedStarts({ layout, runner, network, intents, runtimePath, save, logger: o.logger });
    const starter = new CapsuleStarter({ layout, runner, images: o.images, layers: this.layers, runFiles, network, monitor: this.monitor, volumes: this.volumes, runtimePath, save, intents, interrupted: this.interrupted });
    this.lifecycle = new RunLifecycle({
      layout,
      runner,
      logger: o.logger,
      starter,
      network,
      slot: (name) => this.slots.get(name),
      exclusive: (name, label, requester, work) => this.exclusive(name, label, requester, work),
      runtimePath,
      save,
      ...(o.onChange ? { onChange: o.onChange } : {}),
      restartBackoffMs: o.restartBackoffMs ?? 100,
    });
    this.provisioner = new CapsuleProvisioner({
      layout,
      runner,
      images: o.images,
      layers: this.layers,
      runFiles,
      networks,
      volumeRoots: o.volumeRoots,
      runtime: o.runtime,
      resolveRuntime: o.resolveRuntime,
      userNamespaceSupport: (path) => this.userNamespaceSupport(path),
      cgroupRoot,
    });
    this.snapshots = new CapsuleSnapshots({ layout, layers: this.layers, runner });
    this.terminals = new CapsuleTerminals(o.ptySpawn);
    this.brokenOnes = new BrokenCapsules({ layout, layers: this.layers, runner, resolveRuntime: o.resolveRuntime, logger: o.logger, cgroupRoot });
  }

  /** Loads every capsule record and reattaches to those still running. */
  async recover(): Promise<void> {
    await mkdir(this.layout.root, { recursive: true, mode: 0o700 });
    await mkdir(this.layout.runtimeRoot, { recursive: true, mode: 0o700 });
    await this.volumes.clearAll();
    for (const name of await readdir(this.layout.root)) {
      if (!CAPSULE_NAME_PATTERN.test(name)) continue;
      const file = this.layout.paths(name).record;
      const rec = await readRecord(CAPSULE_RECORD, file).catch((err: unknown) => this.brokenOnes.quarantine(name, file, err));
      if (rec) this.slots.set(name, this.newSlot(name, rec, null));
    }
    for (const slot of this.slots.values()) {
      await this.exclusive(slot.name, 'recovery', null, async () => {
        const recorded = slot.rec.run;
        // A start the previous helper did not finish is undone, whatever it got to; a container
        // that no record names is stopped. Never adopted: its start never reached `running`.
        const interrupted = await this.interrupted.pending(slot.name);
        if (interrupted || (!recorded && (await this.interrupted.leftovers(slot.name)))) {
          await this.interrupted.undo(slot.name, slot.rec, !interrupted);
        } else if (recorded) {
          recorded.containerPid ??= this.monitor.containerPid(this.layout.paths(slot.name));
          await this.lifecycle.adopt(slot, new CapsuleRun(slot.name, recorded, this.layout.paths(slot.name), this.layout.cgroupsPath(slot.name), this.monitor));
        } else if (slot.rec.restartAt) {
          this.lifecycle.scheduleRestart(slot, Math.max(0, Date.parse(slot.rec.restartAt) - Date.now()));
        }
      });
    }
  }

  /** Stops watching (capsules keep running: they belong to their monitors, not to us); resolves once reaps and monitor moves under way are done. */
  async close(): Promise<void> {
    this.terminals.closeAll();
    await this.lifecycle.close(this.slots.values());
    await this.monitorCgroup.settled();
  }

  isImageInUse(imageId: string): boolean {
    return [...this.slots.values()].some((s) => s.rec.imageId === imageId);
  }

  /** Whether `netns` is the network namespace of one of this helper's capsules. */
  ownsNetns(netns: string): boolean {
    return [...this.slots.keys()].some((name) => this.layout.netnsName(name) === netns);
  }

  async list(): Promise<Capsule[]> {
    return [...this.slots.keys()].sort().map((n) => this.view(n, this.slots.get(n)!.rec));
  }

  /** Capsules whose record cannot be read: listed apart, removable with delete. */
  broken(): BrokenRecord[] {
    return this.brokenOnes.list();
  }

  async get(name: string): Promise<Capsule> {
    return this.view(name, this.mustGet(name).rec);
  }

  async create(spec: CapsuleSpec, requester: Requester | null = null): Promise<Capsule> {
    const spec0 = { kind: 'capsule.create', resource: this.ref(spec.name), title: `create from image ${spec.image}` } as const;
    return this.o.operations.run(spec0, requester, async (op) => {
      this.brokenOnes.refuse(spec.name);
      if (this.slots.has(spec.name)) throw new NovaError('already_exists', `A capsule named "${spec.name}" already exists`, { name: spec.name });
      const { rec, prepared } = await this.provisioner.provision(spec, op).catch(whenCancelled(op, `creation of capsule ${spec.name} was cancelled; nothing was kept`));
      // Mounted now, as the bundle is written now: a start then costs the container alone.
      op.progress({ phase: 'mounting the root filesystem', cancellable: false });
      await this.layers.mount(spec.name, rec).catch(async (err: unknown) => {
        await this.layers.removeDir(this.layout.dir(spec.name));
        throw err;
      });
      const slot = this.newSlot(spec.name, rec, prepared);
      await slot.log.prepare();
      this.slots.set(spec.name, slot);
      this.o.onChange?.(spec.name, 'created');
      return this.view(spec.name, rec);
    });
  }

  /**
   * Changes a stopped capsule's spec, checked as create checks one; its next start runs with
   * it. A change of the health check alone is taken while it runs too: its monitor is swapped.
   */
  async update(change: CapsuleUpdateSpec, requester: Requester | null = null): Promise<Capsule> {
    const name = change.name;
    return this.exclusive(name, 'update', requester, async () => {
      const slot = this.mustGet(name);
      const state = capsuleView(name, slot.rec).state;
      slot.rec.spec = await this.provisioner.updatedSpec(slot.rec, change, state);
      // The next start writes the run's files afresh from the new spec.
      slot.prepared = null;
      await this.save(name, slot.rec);
      return this.view(name, slot.rec);
    });
  }

  /** Its health check failed `retries` times in a row: restarted when its policy says so; whether it was. */
  async unhealthy(name: string, reason: string): Promise<boolean> {
    return this.exclusive(name, 'restart after failed health checks', null, async () => {
      const slot = this.slots.get(name);
      return slot ? this.lifecycle.restartUnhealthy(slot, reason) : false;
    });
  }

  async start(name: string, requester: Requester | null = null): Promise<Capsule> {
    return this.exclusive(name, 'start', requester, async () => {
      const slot = this.mustGet(name);
      if (slot.run) throw new NovaError('failed_precondition', `Capsule "${name}" is already running`);
      this.lifecycle.cancelRestart(slot);
      slot.rec.desired = 'running';
      slot.rec.restartCount = 0;
      slot.rec.restartAt = null;
      await this.lifecycle.start(slot);
      return this.view(name, slot.rec);
    });
  }

  /**
   * SIGTERM, then SIGKILL after the timeout; `force` kills at once. A forced stop that finds
   * a graceful one waiting out its timeout cuts that wait short (the waiting stop then kills
   * and reaps under its lock) and answers once the capsule is stopped.
   */
  async stop(name: string, timeoutSec?: number, requester: Requester | null = null, force = false): Promise<Capsule> {
    if (force) this.slots.get(name)?.run?.forceNow();
    if (force) timeoutSec = 0;
    return this.exclusive(name, 'stop', requester, async () => {
      const slot = this.mustGet(name);
      this.lifecycle.cancelRestart(slot);
      slot.rec.desired = 'stopped';
      slot.rec.restartAt = null;
      if (slot.run) await this.lifecycle.stop(slot, slot.run, timeoutSec ?? slot.rec.spec.stopTimeoutSec);
      await this.save(name, slot.rec);
      return this.view(name, slot.rec);
    });
  }

  async restart(name: string, requester: Requester | null = null): Promise<Capsule> {
    await this.stop(name, undefined, requester);
    return this.start(name, requester);
  }

  async pause(name: string, requester: Requester | null = null): Promise<Capsule> {
    return this.exclusive(name, 'pause', requester, async () => {
      const slot = this.mustGet(name);
      const run = slot.rec.run;
      if (!run) throw new NovaError('failed_precondition', `Capsule "${name}" is not running`);
      if (!run.paused) {
        await this.o.runner.run({ argv: rt.pauseArgv(await this.runtimePath(slot.rec), this.layout.runtimeRoot, this.layout.containerId(name)), timeoutMs: RUNTIME_TIMEOUT_MS });
        run.paused = true;
        await this.save(name, slot.rec);
      }
      return this.view(name, slot.rec);
    });
  }

  /** Makes an unmanaged capsule the project's own (see project-owner.ts). */
  async adopt(name: string, project: string, requester: Requester | null = null): Promise<Capsule> {
    return this.exclusive(name, `adoption by project ${project}`, requester, async () => {
      const slot = this.mustGet(name);
      checkAdoptable('capsule', name, slot.rec.spec.project, project);
      slot.rec.spec = { ...slot.rec.spec, project };
      await this.save(name, slot.rec);
      return capsuleView(name, slot.rec);
    });
  }

  async resume(name: string, requester: Requester | null = null): Promise<Capsule> {
    return this.exclusive(name, 'resume', requester, async () => {
      const slot = this.mustGet(name);
      const run = slot.rec.run;
      if (!run?.paused) throw new NovaError('failed_precondition', `Capsule "${name}" is not paused`);
      await this.o.runner.run({ argv: rt.resumeArgv(await this.runtimePath(slot.rec), this.layout.runtimeRoot, this.layout.containerId(name)), timeoutMs: RUNTIME_TIMEOUT_MS });
      run.paused = false;
      await this.save(name, slot.rec);
      return this.view(name, slot.rec);
    });
  }

  async delete(name: string, force = false, requester: Requester | null = null): Promise<void> {
    await this.exclusive(name, 'delete', requester, async () => {
      if (this.brokenOnes.has(name)) {
        await this.brokenOnes.remove(name);
        this.o.onChange?.(name, 'deleted');
        return;
      }
      const slot = this.mustGet(name);
      if (slot.run && !force) throw new NovaError('failed_precondition', `Capsule "${name}" is running: stop it first (or delete with force)`);
      this.lifecycle.cancelRestart(slot);
      slot.rec.desired = 'stopped';
      if (slot.run) await this.lifecycle.stop(slot, slot.run, 0);
      await this.layers.unmount(name, slot.rec);
      this.slots.delete(name);
      const doomed = this.layout.scratchDir('deleting', name);
      await this.layers.removeDir(doomed);
      await rename(this.layout.dir(name), doomed);
      await this.layers.removeDir(doomed);
      this.o.onChange?.(name, 'deleted');
    });
  }

  async logs(name: string, q: LogQuery): Promise<LogPage> {
    const slot = this.mustGet(name);
    return slot.log.read(q, slot.rec.run !== null);
  }

  async exec(name: string, command: readonly string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const rec = this.mustGet(name).rec;
    if (!rec.run || rec.run.paused) throw new NovaError('failed_precondition', `Capsule "${name}" is not running`);
    if (command.length === 0) throw new NovaError('invalid_argument', 'exec needs a command');
    const argv = rt.execArgv(await this.runtimePath(rec), this.layout.runtimeRoot, this.layout.containerId(name), command, { tty: false, env: opts.env, cwd: opts.cwd });
    const r = await this.o.runner.run({ argv, timeoutMs: opts.timeoutMs ?? 60_000, allowFailure: true, what: `the command in capsule ${name}` });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** An interactive terminal in the capsule (`runc exec --tty` under a pty, in a pty host process). */
  async openTerminal(name: string, opts: { command?: string[]; cols?: number; rows?: number } = {}): Promise<TerminalSession> {
    const rec = this.mustGet(name).rec;
    if (!rec.run || rec.run.paused) throw new NovaError('failed_precondition', `Capsule "${name}" is not running`);
    const target = { capsule: name, runtime: await this.runtimePath(rec), runtimeRoot: this.layout.runtimeRoot, containerId: this.layout.containerId(name) };
    return this.terminals.start(target, opts);
  }

  async metrics(name: string): Promise<CapsuleMetrics> {
    const run = this.mustGet(name).rec.run;
    if (!run) throw new NovaError('failed_precondition', `Capsule "${name}" is not running: no metrics`);
    const metrics = await readCgroupMetrics(this.layout.cgroupsPath(name), this.o.cgroupRoot);
    const veth = run.network ? await readVethCounters(run.network.hostIfname) : null;
    return { ...metrics, netRxBytes: veth?.rxBytes ?? null, netTxBytes: veth?.txBytes ?? null };
  }

  async snapshotCreate(name: string, snapshot: string, requester: Requester | null = null, taking: SnapshotTaking = {}): Promise<CapsuleSnapshot> {
    return this.o.operations.run({ kind: 'capsule.snapshotCreate', resource: this.ref(name), title: `snapshot '${snapshot}'` }, requester, async (op) => {
      const slot = this.mustGet(name);
      const run = slot.rec.run;
      const call = async (argv: (runtime: string, root: string, id: string) => string[]) =>
        this.o.runner.run({ argv: argv(await this.runtimePath(slot.rec), this.layout.runtimeRoot, this.layout.containerId(name)), timeoutMs: RUNTIME_TIMEOUT_MS });
      const freezer = run && !run.paused ? { freeze: () => call(rt.pauseArgv).then(() => undefined), thaw: () => call(rt.resumeArgv).then(() => undefined) } : null;
      return this.snapshots.create(name, slot.rec, snapshot, freezer, op, taking).catch(whenCancelled(op, `snapshot '${snapshot}' of capsule ${name} was cancelled; nothing was kept`));
    });
  }

  async snapshotList(name: string): Promise<CapsuleSnapshot[]> {
    this.mustGet(name);
    return this.snapshots.list(name);
  }

  async snapshotRestore(name: string, snapshot: string, requester: Requester | null = null): Promise<void> {
    await this.o.operations.run({ kind: 'capsule.snapshotRestore', resource: this.ref(name), title: `restore of snapshot '${snapshot}'` }, requester, async (op) => {
      const slot = this.mustGet(name);
      if (slot.run) throw new NovaError('failed_precondition', `Capsule "${name}" is running: stop it before restoring a snapshot`);
      await this.snapshots.restore(name, slot.rec, snapshot, op).catch(whenCancelled(op, `restore of snapshot '${snapshot}' of capsule ${name} was cancelled; its layer is as it was`));
    });
  }

  async snapshotDelete(name: string, snapshot: string, requester: Requester | null = null): Promise<void> {
    await this.o.operations.run({ kind: 'capsule.snapshotDelete', resource: this.ref(name), title: `deletion of snapshot '${snapshot}'` }, requester, async () => {
      this.mustGet(name);
      await this.snapshots.delete(name, snapshot);
    });
  }

  /** Resolves when the capsule's current run has ended (tests and benchmarks). */
  waitForExit(name: string, timeoutMs: number): Promise<boolean> {
    return this.slots.get(name)?.run?.waitForEnd(timeoutMs) ?? Promise.resolve(true);
  }

  // ---- internals ----

  /** What a cold move (capsule-move.ts) reaches inside the engine: records, the layer, create and delete. */
  moveHost(): CapsuleMoveHost {
    return {
      layout: this.layout,
      operations: this.o.operations,
      images: this.o.images,
      runner: this.o.runner,
      volumeRoots: this.o.volumeRoots,
      record: (name) => {
        this.brokenOnes.refuse(name);
        return this.slots.get(name)?.rec ?? null;
      },
      rootfsMode: () => this.layers.rootfsMode(),
      layerPath: (name, rec) => this.layers.archivedPath(name, rec),
      checkNetwork: (network, ports) => (this.o.networks ?? noCapsuleNetworkPort).checkNetwork(network, ports),
      snapshotCount: async (name) => (await this.snapshots.list(name)).length,
      create: (spec, requester) => this.create(spec, requester),
      delete: (name, requester) => this.delete(name, false, requester),
      replaceLayer: (name, from, requester) =>
        this.exclusive(name, 'taking the layer that arrived', requester, async () => {
          const slot = this.mustGet(name);
          if (slot.run) throw new NovaError('failed_precondition', `Capsule "${name}" is running`);
          await this.layers.unmount(name, slot.rec);
          const layer = await realpath(this.layers.archivedPath(name, slot.rec));
          await rm(layer, { recursive: true, force: true });
          await rename(from, layer);
          await this.layers.mount(name, slot.rec);
        }),
    };
  }

  private view(name: string, rec: CapsuleRecord): Capsule {
    return { ...capsuleView(name, rec), health: rec.run ? (this.o.healthOf?.(name) ?? null) : null };
  }

  private ref(name: string): ResourceRef {
    return { kind: 'capsule', name };
  }

  /** A short change under the capsule's lock; Nova's own (requester null) waits as long as it takes. */
  private exclusive<T>(name: string, label: string, requester: Requester | null, work: () => Promise<T>): Promise<T> {
    return this.o.operations.exclusive([this.ref(name)], label, requester, work, requester ? undefined : Infinity);
  }

  private newSlot(name: string, rec: CapsuleRecord, prepared: PreparedRun | null): Slot {
    const log = new CapsuleLog(this.layout.paths(name).logFile, this.o.maxLogFiles ?? 5, this.o.maxLogBytes ?? 10 * 1024 * 1024);
    return { name, rec, run: null, restartTimer: null, prepared, log };
  }

  private mustGet(name: string): Slot {
    const slot = this.slots.get(name);
    this.brokenOnes.refuse(name);
    if (!slot) throw new NovaError('not_found', `No capsule named "${name}"`, { name });
    return slot;
  }

  private userNamespaceSupport(runtimePath: string): Promise<UserNamespaceSupport> {
    if (this.o.userNamespaces) return this.o.userNamespaces(runtimePath);
    if (this.o.idMapping) return Promise.resolve({ mapping: this.o.idMapping, reason: null });
    return Promise.resolve({ mapping: null, reason: 'this helper runs capsules without user namespaces (none configured)' });
  }

  /**
   * Looked up once per runtime name (a lookup walks PATH, a few stats, on every start
   * otherwise); a binary removed since makes the run fail with the runtime's own words.
   */
  private async runtimePath(rec: CapsuleRecord): Promise<string> {
    const known = this.runtimePaths.get(rec.runtime);
    if (known) return known;
    const r = await this.o.resolveRuntime(rec.runtime);
    if (!r) throw new NovaError('unavailable', `OCI runtime "${rec.runtime}" is no longer available on this host`);
    this.runtimePaths.set(rec.runtime, r.path);
    return r.path;
  }

  private async save(name: string, rec: CapsuleRecord): Promise<void> {
    if (!this.slots.has(name)) return;
    await writeRecord(CAPSULE_RECORD, this.layout.paths(name).record, rec);
    this.o.onChange?.(name, capsuleView(name, rec).state);
  }
}
