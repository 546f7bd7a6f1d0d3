// The VM engine's front: every VM verb, each holding the VM's lock in the helper's one
// lock table, the long ones (create, start, clone, snapshots) as operations with
// progress and cancel. One VmRuntime per running VM owns its QEMU; the work itself is in
// vm-provisioner (create, update), vm-cloner, vm-snapshots, vm-launcher (start, boot
// watchdog), running-vm-book (pending changes, install finish), vm-runtime-files and
// vm-store (records), and it recovers running VMs after
// a helper restart. It takes what the contract parsed (the RPC dispatcher validates each
// call once); a name reaches the disk only through VmStore, whose records refuse paths.
// Over 400 lines for the same reason as the capsule manager: one face for every verb, each a
// few lines of locking over the modules above; split, the lock discipline would scatter.
import { chmod, lstat, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { GuestHealth } from '../../../src-shared/health.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import type { SnapshotTaking } from '../../../src-shared/snapshot-policy.js';
import type { ImageListEntry, OsProfile, Snapshot, SnapshotTree, VmConsoleInfo, VmCreateSpec, VmDefinition, VmInfo, VmMetrics, VmState, VmUpdateSpec } from '../../../src-shared/vm.js';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import type { OperationManager, Requester } from '../operations/operation-manager.js';
import { StartIntents } from '../state/start-intent.js';
import { BrokenResourceError } from '../state/broken-record.js';
import { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import { DiskConsistency } from './disk-consistency.js';
import { DiskRelations } from './disk-relations.js';
import { ImageLibrary } from './image-library.js';
import { sampleEach } from './metrics-sampler.js';
import { DiskInspector } from './disk-chain.js';
import { callerOf, PathGuard } from './path-guard.js';
import { QemuImg } from './qemu-img.js';
import { QMP_DEFAULT_TIMEOUT_MS, type QmpClient } from './qmp-client.js';
import type { Credentials } from './run-as-user.js';
import { VmCloner } from './vm-cloner.js';
import type { FirmwareImages } from './firmware.js';
import { FirmwareState } from './firmware-state.js';
import { OsProfiles } from './os-profiles.js';
import { consoleInfoOf } from './vm-consoles.js';
import { VmLauncher } from './vm-launcher.js';
import { VmLayout } from './vm-layout.js';
import { noNetworkPort, type VmNetworkPort } from './vm-network.js';
import { VmProvisioner } from './vm-provisioner.js';
import { reconcileVm } from './vm-recovery.js';
import { type VmRuntime, type VmRuntimeHooks } from './vm-runtime.js';
import { VmRuntimeFiles } from './vm-runtime-files.js';
import { VmSnapshots } from './vm-snapshots.js';
import { checkAdoptable } from '../state/project-owner.js';
import { VmDiskFiles } from './vm-disk-files.js';
import { VmStore } from './vm-store.js';
import { createDeviceChanges, VmHardwareUpdate } from './vm-hardware-update.js';
import { diskHasPartitionTable } from './disk-boot-sector.js';
import { RunningVmBook } from './running-vm-book.js';
import { platformUpdate } from './vm-platform-update.js';
import { removeConfined } from '../safe-fs/confined-write.js';
import type { VmDevicePort } from '../devices/vm-devices.js';
import { ManagedSave } from './managed-save.js';
import { checkedShares, hasVirtiofs, transportFor } from './shared-folders.js';
import { ShareDaemons } from './share-daemons.js';
import type { VmShare } from '../../../src-shared/vm-shares.js';
import { RestartScheduler, type RestartTiming, type VmEnd } from './restart-policy.js';
import type { AutostartEntry } from './autostart.js';
import type { MigrationHost } from './migration-host.js';

export interface VmManagerOptions {
  stateDir: string;
  /** Short directory for sockets (default `<stateDir>/run`). */
  runDir?: string;
  /** Folders callers' paths (images, ISOs, kernels) must resolve into. */
  allowedRoots: string[];
  /** The host check's verdict, for `accel: auto`. */
  hostAccelerator: () => Promise<'kvm' | 'tcg'>;
  logger: Logger;
  onStateChange?: (change: { name: string; state: VmState; reason: string | null }) => void;
  /** The helper's one registry of operations and locks. */
  operations: OperationManager;
  qemuBinary?: string;
  qemuImg?: QemuImg;
  runner?: ProcessRunner;
  ovmfCode?: string;
  ovmfVars?: string;
  /** The OVMF builds per UEFI firmware (firmware.ts installedOvmf); without it, ovmfCode/ovmfVars serve plain `uefi`. */
  firmware?: FirmwareImages;
  bootWatchdogMs?: number;
  /** Time QEMU gets to open its QMP socket. */
  qmpReadyTimeoutMs?: number;
  /** Deadline of each QMP command (jobs have their own, longer one). */
  qmpTimeoutMs?: number;
  /** Taps on Nova networks; without it a VM naming a Nova network is refused. */
  networks?: VmNetworkPort;
  /** The health monitors' verdict on a running VM (helper/src/health); null without one. */
  healthOf?: (name: string) => GuestHealth | null;
  /** PCI passthrough (helper/src/devices); without it a VM listing devices is refused at start. */
  devices?: VmDevicePort;
  /** The restart policy's back-off (restart-policy.ts); tests shorten it. */
  restartTiming?: RestartTiming;
  /** virtiofsd for shared folders (default /usr/lib/qemu/virtiofsd); where it is missing, new shares use 9p. */
  virtiofsd?: string;
}

export interface StartOptions {
  /** Run QEMU as this user (the VM's own files made over to it); root when absent. */
  runAsUid?: number;
  runAsGid?: number;
}

const DEFAULT_STOP_TIMEOUT_MS = 30_000;

export class VmManager {
  readonly layout: VmLayout;
  readonly images: ImageLibrary;
  private readonly store: VmStore;
  private readonly networks: VmNetworkPort;
  private readonly operations: OperationManager;
  private readonly live = new Map<string, VmRuntime>();
  private readonly files: VmRuntimeFiles;
  private readonly relations: DiskRelations;
  private readonly launcher: VmLauncher;
  private readonly provisioner: VmProvisioner;
  private readonly cloner: VmCloner;
  private readonly snapshots: VmSnapshots;
  private readonly hooks: VmRuntimeHooks;
  private readonly intents: StartIntents;
  private readonly disks: DiskConsistency;
  private readonly hardware: VmHardwareUpdate;
  /** What each running VM was started with (its pending changes) and whether its install finished. */
  private readonly book: RunningVmBook;
  private readonly saves: ManagedSave;
  /** Shared folders come from the allowed roots only: never the VMs' or the images' own folders. */
  private readonly shareGuard: PathGuard;
  private readonly shareDaemons: ShareDaemons;
  private readonly restarts: RestartScheduler;
  /** Who each running VM's QEMU runs as: a restart policy starts it again as the same user. */
  private readonly startedAs = new Map<string, StartOptions>();
  private readonly detectIso: (path: string, caller: Credentials | null, signal?: AbortSignal) => Promise<OsProfile | null>;
  private readonly diskFiles: VmDiskFiles;
  private readonly img: QemuImg;

  constructor(private readonly opts: VmManagerOptions) {
    const networks = opts.networks ?? noNetworkPort;
    this.networks = networks;
    const runner = opts.runner ?? new ProcessRunner();
    const img = opts.qemuImg ?? new QemuImg(runner);
    this.operations = opts.operations;
    this.layout = new VmLayout(opts.stateDir, opts.runDir ?? join(opts.stateDir, 'run'));
    this.store = new VmStore(this.layout, opts.logger);
    // The library is every manager's to use; anything else a caller names must be theirs.
    const guard = new PathGuard([...opts.allowedRoots, this.layout.imagesDir, this.layout.vmsDir], { shared: [this.layout.imagesDir] });
    const inspector = new DiskInspector(guard, img);
    const diskFiles = new VmDiskFiles(guard, inspector, [this.layout.imagesDir, this.layout.vmsDir]);
    this.diskFiles = diskFiles;
    this.img = img;
    this.images = new ImageLibrary(this.layout.imagesDir, guard, img, this.operations);
    const firmware = opts.firmware ?? (opts.ovmfCode && opts.ovmfVars ? { uefi: { code: opts.ovmfCode, vars: opts.ovmfVars } } : {});
    const firmwareState = new FirmwareState(this.layout);
    const osProfiles = new OsProfiles(runner);
    this.detectIso = async (path, caller, signal) => {
      const iso = await guard.open('the ISO', path, { caller });
      try {
        return await osProfiles.detect(iso.handle.fd, signal);
      } finally {
        await iso.handle.close();
      }
    };
    this.files = new VmRuntimeFiles(this.layout, this.store, networks, opts.logger, firmware);
    this.shareGuard = new PathGuard(opts.allowedRoots);
    this.shareDaemons = new ShareDaemons({ guard: this.shareGuard, runner, layout: this.layout, readyTimeoutMs: opts.qmpReadyTimeoutMs ?? 15_000, ...(opts.virtiofsd ? { binary: opts.virtiofsd } : {}) });
    this.disks = new DiskConsistency(this.layout.vmsDir, runner, opts.logger);
    this.relations = new DiskRelations(this.store, diskFiles);
    this.intents = new StartIntents(join(opts.stateDir, 'start-intents'));
    this.hooks = { onState: (name, state, reason) => this.emit(name, state, reason), onEnded: (rt, crash) => this.onEnded(rt, crash) };
    this.launcher = new VmLauncher({
      layout: this.layout,
      files: this.files,
      networks,
      runner,
      logger: opts.logger,
      hooks: this.hooks,
      intents: this.intents,
      hostAccelerator: opts.hostAccelerator,
      diskFiles: (def, user, signal) => diskFiles.openForQemu(def, user, signal),
      diskCheck: (def, steps) => this.disks.beforeStart(def, steps),
      qemuBinary: opts.qemuBinary ?? 'qemu-system-x86_64',
      firmware,
      bootWatchdogMs: opts.bootWatchdogMs,
      qmpReadyTimeoutMs: opts.qmpReadyTimeoutMs ?? 15_000,
      qmpTimeoutMs: this.qmpTimeoutMs,
      devices: opts.devices ?? null,
      shares: this.shareDaemons,
    });
    this.provisioner = new VmProvisioner({ layout: this.layout, store: this.store, guard, inspector, diskFiles, img, runner, networks, firmware, osProfiles });
    this.cloner = new VmCloner(this.layout, this.store, img, diskFiles, firmwareState);
    this.hardware = new VmHardwareUpdate({ layout: this.layout, guard, inspector, diskFiles, img, networks, userOf: (p) => this.relations.userOf(p), linkedCloneOf: (d) => this.relations.linkedCloneOf(d), hostUsb: opts.devices?.hostUsb ? () => opts.devices!.hostUsb!() : null,
      handOverUsb: opts.devices?.handOverUsb ? async (vm, selector) => opts.devices!.handOverUsb!(vm, selector, (await this.get(vm)).pid) : null,
    });
    this.snapshots = new VmSnapshots(this.store, img, opts.logger, diskFiles, firmwareState);
    this.book = new RunningVmBook({
      store: this.store,
      logger: opts.logger,
      diskInstalled: async (name, diskId) => {
        const def = await this.store.loadDefinition(name);
        const disk = def.disks.find((d) => d.id === diskId);
        return disk !== undefined && diskFiles.withChain(def, disk, undefined, (chain) => diskHasPartitionTable(runner, chain.source()));
      },
      onInstallFinished: (name, rt) => this.emit(name, rt.state, 'the guest restarted after installing from its CD: eject the CD so it boots from its disk'),
      guestAgentSocket: (name) => this.layout.runtimePaths(name).guestAgentSocket,
    });
    this.saves = new ManagedSave(this.layout);
    const restartAgain = async (name: string) => void (await this.start(name, this.startedAs.get(name) ?? {}));
    this.restarts = new RestartScheduler(restartAgain, opts.logger, (name, reason) => this.emit(name, 'crashed', reason), opts.restartTiming);
  }

  /** The VM using this file (as a disk, its backing file, ISO, kernel or initrd), if any. */
  userOf(path: string): Promise<string | null> {
    return this.relations.userOf(path);
  }

  /** The library with, for each image, the VMs that use it (the Images page's "used by"). */
  async imagesWithUsers(): Promise<ImageListEntry[]> {
    const [images, users] = await Promise.all([this.images.list(), this.relations.usersByPath()]);
    return images.map((i) => ({ ...i, usedBy: users.get(i.path) ?? [] }));
  }

  /**
   * Creates the folders and reattaches to VMs whose QEMU still runs (helper restart), all
   * at once. After a host restart nothing is reattached: the VMs that ran are stopped.
   */
  async init(opts: { hostRestarted?: boolean } = {}): Promise<void> {
    // Search-only for others: a VM's QEMU running as its user reaches the files made over
    // to it in the VM's own root folder (0711); the records beside it stay 0600.
    await mkdir(this.layout.vmsDir, { recursive: true, mode: 0o711 });
    await chmod(this.layout.vmsDir, 0o711);
    await mkdir(this.layout.imagesDir, { recursive: true, mode: 0o700 });
    await mkdir(this.layout.runDir, { recursive: true, mode: 0o711 });
    // In parallel, so a VM whose monitor does not answer costs one deadline, not one per VM.
    const names = await this.store.listNames();
    await Promise.all(
      names.map((name) =>
        this.operations.exclusive([vmRef(name)], 'recovery', null, () => this.files.takeBackFolder(name).then(() => this.recover(name, opts.hostRestarted === true))).catch((err: unknown) => {
          this.opts.logger.error({ err, vm: name }, 'recovery failed');
        }),
      ),
    );
  }

  /** Detaches from every QEMU (they keep running); for helper shutdown and tests. */
  async detachAll(): Promise<void> {
    for (const rt of this.live.values()) rt.detach();
    this.live.clear();
    this.book.detachAll();
  }

  // ---- queries: never wait on a lock or a monitor ---------------------------------

  async list(): Promise<VmInfo[]> {
    const out: VmInfo[] = [];
    for (const name of await this.store.listNames()) {
      try {
        out.push(await this.get(name));
      } catch (err) {
        if (!(err instanceof BrokenResourceError)) this.opts.logger.warn({ err, vm: name }, 'skipping unreadable VM');
      }
    }
    return out;
  }

  /** VMs whose definition cannot be read: listed apart, removable with delete. */
  broken(): Promise<BrokenRecord[]> {
    return this.store.broken();
  }

  async get(name: string): Promise<VmInfo> {
    const definition = await this.store.loadDefinition(name);
    const rt = this.live.get(name);
    if (rt) {
      const health = this.opts.healthOf?.(name) ?? null;
      const hardware = this.book.hardwareOf(definition);
      const nics = await Promise.all(
        rt.record.taps.map(async (t) => ({ network: t.network, ifname: t.ifname, mac: t.mac, index: t.index, address: await this.networks.addressOf(t.network, t.resource).catch(() => null) })),
      );
      return { definition, state: rt.state, stateReason: null, pid: rt.record.pid, accel: rt.record.accel, startedAt: rt.record.startedAt, health, ...hardware, nics };
    }
    const record = await this.store.loadRuntime(name);
    if (record?.crashed) {
      return { definition, state: 'crashed', stateReason: record.crashed.reason, pid: null, accel: record.accel, startedAt: record.startedAt, health: null };
    }
    const saved = await this.saves.saved(name);
    if (saved) return { definition, state: 'suspended', stateReason: `suspended to disk at ${saved.savedAt}`, pid: null, accel: null, startedAt: null, health: null };
    return { definition, state: 'stopped', stateReason: null, pid: null, accel: null, startedAt: null, health: null };
  }

  /** The QEMU command line Nova would run for the VM now (`nova vm showcmd`). */
  async showCommand(name: string): Promise<{ argv: string[]; notes: string[] }> {
    return this.launcher.commandLine(await this.store.loadDefinition(name));
  }

  /** The serial console's log of the VM's current run, and the folder it lies in (for its health check). */
  serialLog(name: string): { root: string; logPath: string } {
    return { root: this.layout.vmsDir, logPath: this.layout.runtimePaths(name).serialLog };
  }

  /** With a `caller`, a root QEMU's consoles are handed to that user. */
  async consoleInfo(name: string, caller?: Credentials): Promise<VmConsoleInfo> {
    const info = await this.get(name);
    return consoleInfoOf(this.layout, info.definition, this.live.get(name)?.record ?? null, caller, this.opts.logger);
  }

  /** The QMP client of a running VM (for tests and collaborators that need raw QMP). */
  qmpOf(name: string): QmpClient {
    return this.running(name).qmp;
  }

  async metrics(name: string): Promise<VmMetrics> {
    return this.running(name).metrics();
  }

  /** The OS on an installer ISO the caller may read, with osinfo's resources for it; null when osinfo does not recognise it. */
  async detectOs(path: string, requester: Requester | null = null): Promise<OsProfile | null> {
    return this.detectIso(path, callerOf(requester));
  }

  /** Samples every running VM every `intervalMs`; returns a stop function. */
  startSampling(onSample: (m: VmMetrics) => void, intervalMs = 1000): () => void {
    return sampleEach(() => this.live.values(), onSample, intervalMs);
  }

  // ---- create, change, delete ---------------------------------------------------

  async create(spec: VmCreateSpec, requester: Requester | null = null): Promise<VmInfo> {
    const locks = [vmRef(spec.name), ...(spec.fromTemplate ? [vmRef(spec.fromTemplate)] : [])];
    const def = await this.operations.run({ kind: 'vm.create', resource: vmRef(spec.name), title: 'create', locks }, requester, async (op) => {
      const made = await this.provisioner.create(spec, op, callerOf(requester));
      // Further disks and CD drives go in as vm.update would add them; the create's undo removes the VM's folder with them.
      const devices = createDeviceChanges(spec, made);
      if (devices.length === 0) return made;
      op.progress({ phase: 'adding disks and CD drives', cancellable: false });
      const changed = await this.hardware.apply(made, { name: spec.name, devices }, null, callerOf(requester));
      await this.store.saveDefinition(changed.next);
      return changed.next;
    });
    this.opts.logger.info({ vm: def.name }, 'VM created');
    return this.get(def.name);
  }

  /**
   * Changes a stopped VM's definition; the running QEMU would not see them. A change of the
   * health check alone is taken while it runs: the state is told again, and its monitor swapped.
   */
  async update(spec: VmUpdateSpec, requester: Requester | null = null): Promise<VmInfo> {
    return this.exclusive(spec.name, 'update', requester, async () => {
      const def = await this.store.loadDefinition(spec.name);
      await this.refuseChangeWhileSuspended(spec);
      const rt = this.live.get(spec.name);
      const running = rt && !rt.isStopping ? rt : null;
      const caller = callerOf(requester);
      const updated = await this.provisioner.updated(def, spec);
      // Started at boot as the user who asked for it, as their own start would run it.
      if (spec.autostart && caller && caller.uid !== 0) updated.autostart = { ...spec.autostart, uid: caller.uid, gid: caller.gid };
      if (spec.shares || spec.machine) updated.shares = await this.sharesFor(def, spec, caller);
      const platform = platformUpdate(updated, spec, rt !== undefined, this.layout);
      const changed = await this.hardware.apply(platform.next, spec, running?.qmp ?? null, caller);
      await this.store.saveDefinition(changed.next).catch(async (err: unknown) => {
        await changed.undo();
        throw err;
      });
      await changed.afterSave();
      for (const file of platform.stale) await removeConfined(this.layout.vmsDir, file, `a file of VM ${spec.name}'s former platform`);
      // CD media change live: the running QEMU now has what the definition says.
      if (running || changed.next.iso === null) await this.book.mediaChanged(spec.name, changed.next.iso);
      if (rt) this.emit(spec.name, rt.state, null);
      this.opts.logger.info({ vm: spec.name }, 'VM updated');
      return this.get(spec.name);
    });
  }

  /**
   * A definition change a running QEMU takes at once (USB hot-plug, devices/usb-hotplug.ts):
   * under the VM's lock, with its monitor (null when stopped); what `change` returns is
   * saved, and its undo runs when saving fails.
   */
  async changeWithMonitor(name: string, label: string, requester: Requester | null, change: (def: VmDefinition, qmp: QmpClient | null) => Promise<{ next: VmDefinition; undo: () => Promise<void> }>): Promise<VmInfo> {
    return this.exclusive(name, label, requester, async () => {
      const rt = this.live.get(name);
      const changed = await change(await this.store.loadDefinition(name), rt && !rt.isStopping ? rt.qmp : null);
      await this.store.saveDefinition(changed.next).catch(async (err: unknown) => {
        await changed.undo();
        throw err;
      });
      if (rt) this.emit(name, rt.state, null);
      return this.get(name);
    });
  }

  /** The running VM's monitor for a read, or null when it is not running. */
  monitorOf(name: string): QmpClient | null {
    const rt = this.live.get(name);
    return rt && !rt.isStopping ? rt.qmp : null;
  }

  async delete(name: string, opts: { force?: boolean; keepDisks?: boolean } = {}, requester: Requester | null = null): Promise<void> {
    await this.exclusive(name, 'delete', requester, async () => {
      const def = await this.store.loadDefinition(name).catch((err: unknown) => {
        if (err instanceof BrokenResourceError) return null;
        throw err;
      });
      if (!def) return this.files.removeBrokenVm(name, (dir) => this.relations.userUnder(dir, name));
      const rt = this.live.get(name);
      if (rt && !opts.force) throw new NovaError('failed_precondition', `VM ${name} is ${rt.state}: stop it first, or delete with force`);
      this.restarts.cancel(name);
      const clone = await this.relations.linkedCloneOf(def);
      if (clone) throw new NovaError('failed_precondition', `VM ${name} is the base of linked clone ${clone}: delete ${clone} first`);
      if (rt) await rt.forceStop();
      await this.files.removeVm(def, opts.keepDisks ?? false);
      this.opts.logger.info({ vm: name, keepDisks: opts.keepDisks ?? false }, 'VM deleted');
    });
  }

  async setTemplate(name: string, template: boolean, requester: Requester | null = null): Promise<VmInfo> {
    return this.exclusive(name, template ? 'making it a template' : 'making it a VM again', requester, async () => {
      const def = await this.store.loadDefinition(name);
      if (this.live.has(name)) throw new NovaError('failed_precondition', `VM ${name} is running: stop it before changing it into a template`);
      await this.store.saveDefinition({ ...def, template });
      return this.get(name);
    });
  }

  /** Makes an unmanaged VM the project's own (see project-owner.ts). */
  async adopt(name: string, project: string, requester: Requester | null = null): Promise<VmInfo> {
    return this.exclusive(name, `adoption by project ${project}`, requester, async () => {
      const def = await this.store.loadDefinition(name);
      checkAdoptable('VM', name, def.project, project);
      await this.store.saveDefinition({ ...def, project });
      return this.get(name);
    });
  }

  /** Linked clones (overlays on the source's disks) need a template source, so its disks never change under them. */
  async clone(source: string, target: string, opts: { linked?: boolean } = {}, requester: Requester | null = null): Promise<VmInfo> {
    const linked = opts.linked ?? false;
    const spec = { kind: 'vm.clone', resource: vmRef(source), title: `${linked ? 'linked ' : ''}clone to ${target}`, locks: [vmRef(source), vmRef(target)] } as const;
    await this.operations.run(spec, requester, async (op) => {
      const def = await this.store.loadDefinition(source);
      if (this.live.has(source)) throw new NovaError('failed_precondition', `VM ${source} is running: stop it before cloning`);
      await this.files.claim(def);
      return this.cloner.clone(def, target, linked, op);
    });
    return this.get(target);
  }

  // ---- lifecycle ----------------------------------------------------------------

  /** An operation: preparing, starting QEMU, and for serial-console guests their first output (boot watchdog). */
  async start(name: string, opts: StartOptions = {}, requester: Requester | null = null): Promise<VmInfo> {
    return this.operations.run({ kind: 'vm.start', resource: vmRef(name), title: 'start' }, requester, async (op) => {
      op.progress({ phase: 'checking the VM' });
      const def = await this.store.loadDefinition(name);
      if (def.template) throw new NovaError('failed_precondition', `VM ${name} is a template: clone it, or create a VM from it`);
      const rt = this.live.get(name);
      if (rt) throw new NovaError('failed_precondition', `VM ${name} is already ${rt.state}`);
      for (const d of def.disks) {
        if (!(await lstat(d.path).catch(() => null))) throw new NovaError('not_found', `VM ${name}: disk ${d.id} (${d.path}) is missing`); // a link: refused below, never followed
      }
      const runAs = opts.runAsUid !== undefined ? { uid: opts.runAsUid, gid: opts.runAsGid ?? opts.runAsUid } : null;
      const saved = await this.saves.saved(name);
      this.restarts.cancel(name, { keepCount: true });
      const runtime = await this.launcher.start(def, runAs, {
        signal: op.signal,
        phase: (phase) => op.progress({ phase }),
        started: async (runtime) => {
          this.live.set(name, runtime);
          await this.book.started(def, runtime);
          this.startedAs.set(name, opts);
          runtime.announce();
        },
        ...(saved ? { incoming: (qmp: QmpClient) => this.saves.restore(name, qmp, op.signal) } : {}),
      });
      if (saved) {
        // The guest runs from the saved state now: the file is spent, and a second resume from it would fork the disks.
        await this.saves.discard(name);
        if (saved.wasPaused) await runtime.pause();
      }
      return this.get(name);
    });
  }

  /** ACPI power button, then `quit` after the timeout; returns whether the guest shut down by itself. */
  async stop(name: string, opts: { force?: boolean; timeoutMs?: number } = {}, requester: Requester | null = null): Promise<{ graceful: boolean }> {
    // "Force off" while a stop waits for the guest: the stop holding the VM's lock forces
    // it off now, instead of this request queueing behind the grace period it cuts short.
    const waiting = opts.force ? this.live.get(name) : undefined;
    if (waiting?.hurryPowerOff()) {
      await waiting.ended;
      return { graceful: false };
    }
    return this.exclusive(name, 'stop', requester, async () => {
      await this.store.loadDefinition(name);
      const rt = this.live.get(name);
      this.restarts.cancel(name);
      if (!rt && (await this.saves.saved(name))) {
        await this.saves.discard(name);
        this.opts.logger.info({ vm: name }, 'the suspended state was discarded: the VM is stopped, as after a power cut');
        this.emit(name, 'stopped', 'the suspended state was discarded');
        return { graceful: false };
      }
      if (!rt) {
        if ((await this.store.loadRuntime(name))?.crashed) {
          await this.files.remove(name, null);
          this.emit(name, 'stopped', null);
          return { graceful: false };
        }
        throw new NovaError('failed_precondition', `VM ${name} is not running`);
      }
      if (opts.force) {
        await rt.forceStop();
        return { graceful: false };
      }
      // The guest's own shutdown first where its agent answers; the power button follows either way.
      const agent = await this.book.answeringAgent(name);
      await agent?.client.shutdown().catch((err: unknown) => this.opts.logger.warn({ vm: name, err }, 'guest-shutdown failed; pressing the power button'));
      return { graceful: await rt.powerOff(opts.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS) };
    });
  }

  async pause(name: string, requester: Requester | null = null): Promise<VmInfo> {
    return this.withRunning(name, 'pause', requester, (rt) => rt.pause());
  }

  async resume(name: string, requester: Requester | null = null): Promise<VmInfo> {
    return this.withRunning(name, 'resume', requester, (rt) => rt.resume());
  }

  /** A hard reset, as the reset button: the guest is not asked. */
  async reboot(name: string, requester: Requester | null = null): Promise<VmInfo> {
    return this.withRunning(name, 'reboot', requester, (rt) => rt.reset());
  }

  /**
   * Suspend to disk (managed-save.ts): the guest's state into its folder, QEMU ended; the
   * next start resumes it. Refused for passed-through devices, whose state QEMU cannot save.
   */
  async suspend(name: string, requester: Requester | null = null): Promise<VmInfo> {
    await this.operations.run({ kind: 'vm.suspend', resource: vmRef(name), title: 'suspend to disk' }, requester, async (op) => {
      const def = await this.store.loadDefinition(name);
      const rt = this.live.get(name);
      if (!rt || rt.isStopping) throw new NovaError('failed_precondition', `VM ${name} is not running`);
      if (def.devices?.length) throw new NovaError('failed_precondition', `VM ${name} has passed-through PCI devices, whose state cannot be saved: stop it instead`);
      // QEMU 7.2 marks vhost-user-fs unmigratable: its migration to a file would fail halfway.
      if (hasVirtiofs(def)) throw new NovaError('failed_precondition', `VM ${name} shares folders through virtiofs, whose state QEMU cannot save: stop it instead`);
      this.restarts.cancel(name);
      op.progress({ phase: 'saving the guest to disk', cancellable: true });
      const progress = (p: { fraction: number | null; bytesDone: number | null; bytesTotal: number | null }) =>
        op.progress({ phase: 'saving the guest to disk', ...(p.fraction !== null ? { fraction: p.fraction } : {}), ...(p.bytesDone !== null ? { bytesDone: p.bytesDone } : {}), ...(p.bytesTotal !== null ? { bytesTotal: p.bytesTotal } : {}) });
      await this.saves.save(name, rt.qmp, { signal: op.signal, progress, wasPaused: rt.state === 'paused' });
      op.progress({ phase: 'stopping QEMU', cancellable: false });
      await rt.forceStop();
      this.emit(name, 'suspended', null);
    });
    return this.get(name);
  }

  /** What the helper starts when the host has booted (autostart.ts), each as the user who marked it. */
  async autostartEntries(): Promise<AutostartEntry[]> {
    const out: AutostartEntry[] = [];
    for (const info of await this.list()) {
      const a = info.definition.autostart;
      if (!a || info.definition.template) continue;
      const as: StartOptions = a.uid !== undefined ? { runAsUid: a.uid, runAsGid: a.gid ?? a.uid } : {};
      out.push({ kind: 'vm', name: info.definition.name, order: a.order, delaySeconds: a.delaySeconds, start: () => this.start(info.definition.name, as) });
    }
    return out;
  }

  /** Stops waiting restarts; for helper shutdown and tests. */
  stopRestarts(): void {
    this.restarts.dispose();
  }

  // ---- snapshots ----------------------------------------------------------------

  async snapshotList(name: string): Promise<SnapshotTree> {
    await this.store.loadDefinition(name);
    return this.store.loadSnapshots(name);
  }

  /** With RAM while the VM runs (unless `withMemory` is false: its disks only, as it runs on), disks only while it is stopped. */
  async snapshotCreate(name: string, snap: string, description = '', requester: Requester | null = null, taking: SnapshotTaking & { withMemory?: boolean } = {}): Promise<Snapshot> {
    return this.operations.run({ kind: 'vm.snapshotCreate', resource: vmRef(name), title: `snapshot '${snap}'` }, requester, async (op) => {
      const def = await this.stoppedFilesChecked(name);
      const { withMemory = true, ...marks } = taking;
      const qmp = this.live.get(name)?.qmp ?? null;
      return this.book.withGuestFrozen(name, () => this.snapshots.create(def, snap, description, qmp, op, marks, withMemory));
    });
  }

  async snapshotRestore(name: string, snap: string, requester: Requester | null = null): Promise<void> {
    await this.operations.run({ kind: 'vm.snapshotRestore', resource: vmRef(name), title: `restore of snapshot '${snap}'` }, requester, async (op) => {
      const def = await this.stoppedFilesChecked(name);
      await this.snapshots.restore(def, snap, this.live.get(name)?.qmp ?? null, op);
    });
  }

  async snapshotDelete(name: string, snap: string, requester: Requester | null = null): Promise<void> {
    await this.operations.run({ kind: 'vm.snapshotDelete', resource: vmRef(name), title: `deletion of snapshot '${snap}'` }, requester, async (op) => {
      const def = await this.stoppedFilesChecked(name);
      await this.snapshots.delete(def, snap, this.live.get(name)?.qmp ?? null, op);
    });
  }

  // ---- migration ----------------------------------------------------------------

  /** What live migration (migration-source.ts, migration-destination.ts) reaches inside the engine: its lock table, records and runtimes. */
  migrationHost(): MigrationHost {
    return {
      layout: this.layout,
      store: this.store,
      operations: this.operations,
      hostAccelerator: this.opts.hostAccelerator,
      qemuBinary: this.opts.qemuBinary ?? 'qemu-system-x86_64',
      runner: this.opts.runner ?? new ProcessRunner(),
      logger: this.opts.logger,
      runtimeOf: (name) => this.live.get(name) ?? null,
      checkNetwork: (network) => (this.opts.networks ?? noNetworkPort).checkNetwork(network),
      diskSize: (def, disk, signal) => this.diskFiles.sizeOf(def, disk, signal),
      createDisk: (path, sizeBytes, signal) => this.img.create(path, sizeBytes, { signal }),
      startIncoming: (def, runAs, steps) =>
        this.launcher.start(def, runAs, {
          ...steps,
          holdPaused: true,
          started: async (runtime) => {
            this.live.set(def.name, runtime);
            runtime.announce();
          },
        }),
      arrived: async (name, runtime) => {
        await this.intents.end('vm', name);
        await this.book.started(await this.store.loadDefinition(name), runtime);
        this.emit(name, runtime.state, 'arrived by live migration');
      },
      endIntent: (name) => this.intents.end('vm', name),
      removeVm: async (def) => {
        this.restarts.cancel(def.name);
        await this.files.removeVm(def, false);
        this.emit(def.name, 'stopped', 'moved to another host');
      },
      backingDepth: async (def, disk, signal) => (await this.diskFiles.checkDisks(def, [disk], signal))[disk.id]?.length ?? 0,
      flattenDisk: (def, disk, out, signal) =>
        this.diskFiles.withChain(def, disk, signal, (chain) => this.img.convert(chain.source(), out, { dstFormat: 'qcow2', what: `${disk.id} of VM ${def.name}`, signal })),
      isSuspended: async (name) => (await this.saves.saved(name)) !== null,
      arrivedStopped: (name) => this.emit(name, 'stopped', 'arrived from another host'),
    };
  }

  // ---- internals ----------------------------------------------------------------

  private get qmpTimeoutMs(): number {
    return this.opts.qmpTimeoutMs ?? QMP_DEFAULT_TIMEOUT_MS;
  }

  /** A short action holding the VM's lock: refused as `locked`, naming the holder, while an operation runs. */
  private exclusive<T>(name: string, label: string, requester: Requester | null, work: () => Promise<T>): Promise<T> {
    return this.operations.exclusive([vmRef(name)], label, requester, work);
  }

  private async withRunning(name: string, label: string, requester: Requester | null, work: (rt: VmRuntime) => Promise<void>): Promise<VmInfo> {
    return this.exclusive(name, label, requester, async () => {
      await this.store.loadDefinition(name);
      const rt = this.live.get(name);
      if (!rt || rt.isStopping) throw new NovaError('failed_precondition', `VM ${name} is not running`);
      await work(rt);
      return this.get(name);
    });
  }

  /** The definition; when the VM is stopped, qemu-img is about to open its disks by name as root: no links among them. */
  private async stoppedFilesChecked(name: string): Promise<VmDefinition> {
    const def = await this.store.loadDefinition(name);
    if (await this.saves.saved(name)) throw suspendedRefusal(name, 'its snapshots');
    if (!this.live.has(name)) await this.files.claim(def);
    return def;
  }

  /** The saved state holds the guest's view of its disks and devices: changing them under it would corrupt the guest on resume. */
  private async refuseChangeWhileSuspended(spec: VmUpdateSpec): Promise<void> {
    const harmless = new Set(['name', 'description', 'autostart', 'restart', 'health']);
    const changes = Object.entries(spec).filter(([k, v]) => v !== undefined && !harmless.has(k));
    if (changes.length > 0 && (await this.saves.saved(spec.name))) throw suspendedRefusal(spec.name, changes.map(([k]) => k).join(', '));
  }

  /** New shares checked for the caller and carried by virtiofs where the VM and host allow; a VM turned microvm keeps its shares on 9p. */
  private async sharesFor(def: VmDefinition, spec: VmUpdateSpec, caller: Credentials | null): Promise<VmShare[]> {
    const machine = spec.machine ?? def.machine;
    const via = transportFor(machine, await this.shareDaemons.available());
    const current = def.shares ?? [];
    if (spec.shares) return checkedShares(spec.name, current, spec.shares, this.shareGuard, caller, via);
    return machine === 'microvm' ? current.map((s) => ({ ...s, via: '9p' as const })) : current;
  }

  private running(name: string): VmRuntime {
    const rt = this.live.get(name);
    if (!rt) throw new NovaError('failed_precondition', `VM ${name} is not running`);
    return rt;
  }

  private async recover(name: string, hostRestarted: boolean): Promise<void> {
    if (hostRestarted) await this.stopAfterHostRestart(name);
    const layoutPaths = this.layout.runtimePaths(name);
    const paths = { qemuLog: this.layout.qemuLog(name), pidFile: layoutPaths.pidFile, paths: layoutPaths, runtimeFile: this.layout.runtime(name) };
    const found = await reconcileVm(name, { ...paths, hooks: this.hooks, logger: this.opts.logger, qmpTimeoutMs: this.qmpTimeoutMs, store: this.store, files: this.files, intents: this.intents });
    // A swtpm no adopted QEMU uses (a killed helper's start, a QEMU gone meanwhile) does not outlive recovery.
    if (!found || 'crashReason' in found) {
      const stopped = await this.files.stopTpm(name);
      if (stopped.length > 0) this.opts.logger.warn({ vm: name, pids: stopped }, 'stopped a TPM emulator that no running VM uses');
      const daemons = await this.files.stopShareDaemons(name);
      if (daemons.length > 0) this.opts.logger.warn({ vm: name, pids: daemons }, 'stopped a virtiofsd that no running VM uses');
      await this.book.ended(name);
    }
    if (!found) return;
    if ('crashReason' in found) return this.crashed(name, found.record, found.crashReason);
    this.live.set(name, found.runtime);
    const owner = await stat(`/proc/${found.runtime.record.pid}`).catch(() => null);
    if (owner && owner.uid !== 0) this.startedAs.set(name, { runAsUid: owner.uid, runAsGid: owner.gid });
    await this.book.reattached(await this.store.loadDefinition(name), found.runtime);
    found.runtime.announce();
  }

  /** A VM that ran before the host restarted is stopped; its pid and start time are another boot's, never matched against this one's processes. */
  private async stopAfterHostRestart(name: string): Promise<void> {
    const record = await this.store.loadRuntime(name);
    if (!record || record.crashed) return;
    await this.disks.recordUncleanStop(name, 'the host restarted while it ran');
    await this.files.remove(name, record);
    this.opts.logger.info({ vm: name }, 'the host restarted: the VM that ran is stopped');
    this.emit(name, 'stopped', 'the host restarted');
  }

  private async onEnded(rt: VmRuntime, crashReason: string | null): Promise<void> {
    if (this.live.get(rt.name) === rt) this.live.delete(rt.name);
    await this.book.ended(rt.name);
    await this.releaseDevices(rt.name);
    if (crashReason !== null) await this.crashed(rt.name, rt.record, crashReason);
    else {
      await this.files.remove(rt.name, rt.record);
      this.emit(rt.name, 'stopped', null);
    }
    const end: VmEnd = rt.endWasRequested ? 'requested' : crashReason !== null ? 'crash' : 'guest-shutdown';
    const policy = (await this.store.loadDefinition(rt.name).catch(() => null))?.restart;
    this.restarts.ended(rt.name, policy, end, Date.now() - Date.parse(rt.record.startedAt));
  }

  /** QEMU is gone: its devices go back to the host (per policy) and its reservations end. */
  private async releaseDevices(name: string): Promise<void> {
    await this.opts.devices?.release(name).catch((err: unknown) => this.opts.logger.error({ vm: name, err }, 'giving back passed-through devices failed'));
  }

  private async crashed(name: string, record: VmRuntime['record'], reason: string): Promise<void> {
    // QEMU had the disks open for writing: the next start checks them first.
    await this.disks.recordUncleanStop(name, reason);
    await this.files.markCrashed(name, record, reason);
    this.emit(name, 'crashed', reason);
  }

  private emit(name: string, state: VmState, reason: string | null): void {
    this.opts.logger.debug({ vm: name, state, reason }, 'VM state');
    this.opts.onStateChange?.({ name, state, reason });
  }
}

function suspendedRefusal(name: string, what: string): NovaError {
  return new NovaError('failed_precondition', `VM ${name} is suspended: ${what} cannot change under its saved state; start it to resume (or \`nova vm stop ${name}\` discards the saved state) first`);
}

function vmRef(name: string): ResourceRef {
  return { kind: 'vm', name };
}
