// The VM engine: definitions in the state dir, QEMU processes driven through QMP, one
// lock per VM, states with a change callback, a boot watchdog, snapshots, clones and
// recovery of running VMs after a helper restart. Collaborators: vm-store (files),
// qemu-argv (command line), qemu-process (OS process), qmp-client, qemu-img, path-guard,
// vm-network (taps on Nova networks) and cloud-init-seed (NoCloud ISOs).
import type { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { chmod, chown, copyFile, mkdir, rm, stat, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import {
  MEBIBYTE,
  VmCreateSpecSchema,
  VmNameSchema,
  VmUpdateSpecSchema,
  vmNetworkFromChoice,
  SnapshotNameSchema,
  type Snapshot,
  type SnapshotTree,
  type VmConsoleInfo,
  type VmCreateSpecIn,
  type VmDefinition,
  type VmDisk,
  type VmInfo,
  type VmMetrics,
  type VmState,
  type VmUpdateSpecIn,
} from '../../../src-shared/vm.js';
import { OperationManager } from '../operations/operation-manager.js';
import { ResourceLocks } from '../state/resource-lock.js';
import type { Logger } from '../util/logger.js';
import { buildSeedFiles, cloudInitDefinition, writeSeedIso } from './cloud-init-seed.js';
import { DEFAULT_BOOT_WATCHDOG_MS, expectsSerialOutput, waitForSerialOutput } from './boot-watchdog.js';
import { buildMetrics, readProcSample, type ProcSample } from './metrics-sampler.js';
import { ImageLibrary } from './image-library.js';
import { PathGuard } from './path-guard.js';
import { buildQemuArgv } from './qemu-argv.js';
import { QemuImg } from './qemu-img.js';
import { isAlive, isQemuOfVm, killQemu, spawnQemu, tailFile, waitForExit, waitForSocket } from './qemu-process.js';
import { QmpClient, type QmpEvent } from './qmp-client.js';
import { grantConsoleAccess } from './display-socket-access.js';
import { blockedPath, type Credentials } from './run-as-user.js';
import { VmLayout } from './vm-layout.js';
import { noNetworkPort, readTapCounters, type VmNetworkPort, type VmTap } from './vm-network.js';
import { VmStore, type RuntimeRecord } from './vm-store.js';

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
  qemuBinary?: string;
  qemuImg?: QemuImg;
  ovmfCode?: string;
  ovmfVars?: string;
  bootWatchdogMs?: number;
  /** Time QEMU gets to open its QMP socket. */
  qmpReadyTimeoutMs?: number;
  /** Taps on Nova networks; without it a VM naming a Nova network is refused. */
  networks?: VmNetworkPort;
  /** Long actions run as operations here (the helper's one registry); tests may leave it out. */
  operations?: OperationManager;
}

export interface StartOptions {
  /** Run QEMU as this user (its disks and sockets are chowned to it); root when absent. */
  runAsUid?: number;
  runAsGid?: number;
}

interface LiveVm {
  record: RuntimeRecord;
  qmp: QmpClient | null;
  state: VmState;
  /** Set by stop/delete so that QEMU's exit is expected, not a crash. */
  stopping: boolean;
  guestShutdown: boolean;
  exitReason: string | null;
  ended: Promise<void>;
}

const DEFAULT_STOP_TIMEOUT_MS = 30_000;

const TUN_DEVICE = '/dev/net/tun';

export class VmManager {
  readonly layout: VmLayout;
  private readonly store: VmStore;
  private readonly locks = new ResourceLocks();
  private readonly live = new Map<string, LiveVm>();
  private readonly guard: PathGuard;
  private readonly img: QemuImg;
  private readonly prevSamples = new Map<string, ProcSample>();
  readonly images: ImageLibrary;
  private readonly networks: VmNetworkPort;

  constructor(private readonly opts: VmManagerOptions) {
    this.networks = opts.networks ?? noNetworkPort;
    this.layout = new VmLayout(opts.stateDir, opts.runDir ?? join(opts.stateDir, 'run'));
    this.store = new VmStore(this.layout);
    this.guard = new PathGuard([...opts.allowedRoots, this.layout.imagesDir, this.layout.vmsDir]);
    this.img = opts.qemuImg ?? new QemuImg();
    const operations = opts.operations ?? new OperationManager({ logger: opts.logger, emit: () => undefined });
    this.images = new ImageLibrary(this.layout.imagesDir, this.guard, this.img, operations);
  }

  /** The VM using this file (as a disk, its backing file, ISO, kernel or initrd), if any. */
  async userOf(path: string): Promise<string | null> {
    for (const name of await this.store.listNames()) {
      const def = await this.store.loadDefinition(name).catch(() => null);
      if (!def) continue;
      if (def.iso === path || def.kernel?.kernel === path || def.kernel?.initrd === path) return name;
      for (const d of def.disks) if (d.path === path || (await this.backingOf(d.path)) === path) return name;
    }
    return null;
  }

  /** Creates the folders and reattaches to VMs whose QEMU still runs (helper restart). */
  async init(): Promise<void> {
    // Search-only for others: a VM's QEMU running as its user reaches its own folder
    // (0700, owned by that user); the records beside it stay 0600.
    await mkdir(this.layout.vmsDir, { recursive: true, mode: 0o711 });
    await chmod(this.layout.vmsDir, 0o711);
    await mkdir(this.layout.imagesDir, { recursive: true, mode: 0o700 });
    await mkdir(this.layout.runDir, { recursive: true, mode: 0o711 });
    for (const name of await this.store.listNames()) {
      await this.locks.withLock(name, () => this.recover(name)).catch((err: unknown) => {
        this.opts.logger.error({ err, vm: name }, 'recovery failed');
      });
    }
  }

  /** Detaches from every QEMU (they keep running); for helper shutdown and tests. */
  async detachAll(): Promise<void> {
    for (const vm of this.live.values()) {
      vm.stopping = true; // a closing QMP socket here is not a crash
      vm.qmp?.close();
    }
    this.live.clear();
  }

  // ---- queries -------------------------------------------------------------------

  async list(): Promise<VmInfo[]> {
    const out: VmInfo[] = [];
    for (const name of await this.store.listNames()) {
      try {
        out.push(await this.get(name));
      } catch (err) {
        this.opts.logger.warn({ err, vm: name }, 'skipping unreadable VM');
      }
    }
    return out;
  }

  async get(name: string): Promise<VmInfo> {
    this.checkName(name);
    const definition = await this.store.loadDefinition(name);
    const vm = this.live.get(name);
    if (vm) {
      return { definition, state: vm.state, stateReason: vm.exitReason, pid: vm.record.pid, accel: vm.record.accel, startedAt: vm.record.startedAt };
    }
    const record = await this.store.loadRuntime(name);
    if (record?.crashed) {
      return { definition, state: 'crashed', stateReason: record.crashed.reason, pid: null, accel: record.accel, startedAt: record.startedAt };
    }
    return { definition, state: 'stopped', stateReason: null, pid: null, accel: null, startedAt: null };
  }

  /** With a `caller`, a root QEMU's consoles (SPICE, VNC, serial and its log) are handed to that user (display-socket-access.ts). */
  async consoleInfo(name: string, caller?: Credentials): Promise<VmConsoleInfo> {
    const info = await this.get(name);
    const paths = this.layout.runtimePaths(name);
    const vm = this.live.get(name);
    const rec = vm?.record;
    const out: VmConsoleInfo = {
      serialSocket: paths.serialSocket,
      serialLog: paths.serialLog,
      vnc:
        rec?.vncSocket && rec.vncPassword && rec.vncWebsocketPort
          ? { socket: rec.vncSocket, websocketUrl: `ws://127.0.0.1:${rec.vncWebsocketPort}`, password: rec.vncPassword }
          : null,
      spice: rec?.spiceSocket && info.definition.display.spice ? { socket: rec.spiceSocket, uri: `spice+unix://${rec.spiceSocket}` } : null,
    };
    if (rec && caller) {
      // main's console proxy reaches VNC through its unix socket too, not the websocket port.
      const consoles = [rec.spiceSocket, rec.vncSocket, rec.serialSocket].filter((s): s is string => s !== null);
      try {
        const grant = await grantConsoleAccess({ runDir: this.layout.vmRunDir(name), consoles, rootOnly: [rec.qmpSocket], serialLog: rec.serialLog }, caller);
        out.serialLog = grant.serialLog;
        if (grant.outcome === 'granted') {
          this.opts.logger.info({ vm: name, uid: caller.uid, consoles, serialLog: grant.serialLog }, 'consoles handed to the caller');
          if (grant.problem) this.opts.logger.warn({ vm: name, uid: caller.uid, problem: grant.problem }, 'the caller may still not reach its consoles');
        }
      } catch (err) {
        // The files may vanish with a stopping VM; the caller then reports what it finds.
        this.opts.logger.warn({ vm: name, err, consoles }, 'cannot hand the consoles to the caller');
      }
    }
    return out;
  }

  /** The QMP client of a running VM (for tests and collaborators that need raw QMP). */
  qmpOf(name: string): QmpClient {
    const qmp = this.live.get(name)?.qmp;
    if (!qmp) throw new NovaError('failed_precondition', `VM ${name} is not running`);
    return qmp;
  }

  // ---- create / delete -----------------------------------------------------------

  async create(specIn: VmCreateSpecIn): Promise<VmInfo> {
    if (typeof specIn.name === 'string') this.checkName(specIn.name);
    const spec = parseSpec(VmCreateSpecSchema, specIn);
    return this.locks.withLock(spec.name, async () => {
      if (await this.store.exists(spec.name)) throw new NovaError('already_exists', `VM ${spec.name} already exists`);
      // Sizes arrive parsed to MiB by the contract's schema (src-shared/vocabulary/size.ts).
      const mem = spec.memory;
      const template = spec.fromTemplate ? await this.store.loadDefinition(spec.fromTemplate) : null;
      if (template && !template.template) throw new NovaError('failed_precondition', `VM ${spec.fromTemplate} is not a template`);
      // Resolve every caller path before creating anything, so a refusal leaves nothing behind.
      const image = spec.image ? await this.guard.existingFile('image', spec.image) : null;
      const iso = spec.iso ? await this.guard.existingFile('ISO', spec.iso) : null;
      const kernel = spec.kernel ? await this.guard.existingFile('kernel', spec.kernel) : null;
      const initrd = spec.initrd ? await this.guard.existingFile('initrd', spec.initrd) : null;
      const newDisk = spec.diskSize !== undefined ? spec.diskSize * MEBIBYTE : null;
      if (spec.machine === 'microvm' && !kernel && !template?.kernel) {
        throw new NovaError('invalid_argument', 'a microvm boots a kernel directly: give kernel (and initrd)');
      }
      if (initrd && !kernel) throw new NovaError('invalid_argument', 'an initrd needs a kernel');
      if (spec.firmware === 'uefi' && !this.opts.ovmfCode) {
        throw new NovaError('unsupported', 'UEFI firmware needs OVMF (install the ovmf package)');
      }
      const network = vmNetworkFromChoice(spec.network);
      if (network.mode === 'nova') await this.networks.checkNetwork(network.network);
      const cloudInit = spec.cloudInit ? await cloudInitDefinition(spec.cloudInit, null) : null;

      const dir = this.layout.vmDir(spec.name);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      try {
        const disks: VmDisk[] = [];
        if (template) {
          for (const d of template.disks) {
            const path = join(dir, `${d.id}.qcow2`);
            await this.img.createOverlay(path, d.path, d.format);
            disks.push({ id: d.id, path, format: 'qcow2', owned: true, readOnly: false });
          }
        }
        if (image) {
          const info = await this.img.info(image);
          const id = `disk${disks.length}`;
          if (spec.linkedImage) {
            const path = join(dir, `${id}.qcow2`);
            await this.img.createOverlay(path, image, info.format);
            if (newDisk && newDisk > info['virtual-size']) await this.img.resize(path, newDisk);
            disks.push({ id, path, format: 'qcow2', owned: true, readOnly: false });
          } else {
            disks.push({ id, path: image, format: info.format === 'qcow2' ? 'qcow2' : 'raw', owned: false, readOnly: false });
          }
        } else if (newDisk) {
          const id = `disk${disks.length}`;
          const path = join(dir, `${id}.qcow2`);
          await this.img.create(path, newDisk);
          disks.push({ id, path, format: 'qcow2', owned: true, readOnly: false });
        }
        const base = template;
        const def: VmDefinition = {
          version: 1,
          name: spec.name,
          osType: base?.osType ?? spec.osType,
          cpus: spec.cpus,
          memoryMiB: mem,
          machine: base?.machine ?? spec.machine,
          firmware: base?.firmware ?? spec.firmware,
          accel: spec.accel,
          disks,
          iso,
          kernel: kernel ? { kernel, initrd, cmdline: spec.cmdline ?? '' } : (base?.kernel ?? null),
          network,
          cloudInit,
          display:
            spec.machine === 'microvm'
              ? { vnc: false, spice: false }
              : { vnc: spec.display === 'vnc' || spec.display === 'both', spice: spec.display === 'spice' || spec.display === 'both' },
          template: false,
          description: spec.description,
          createdAt: new Date().toISOString(),
        };
        if (def.firmware === 'uefi' && this.opts.ovmfVars) await copyFile(this.opts.ovmfVars, this.layout.runtimePaths(def.name).uefiVars);
        await this.store.saveDefinition(def);
        this.opts.logger.info({ vm: def.name }, 'VM created');
        return this.get(def.name);
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        await this.store.removeAll(spec.name);
        throw err;
      }
    });
  }

  /** Changes a stopped VM's definition; the running QEMU would not see them. */
  async update(specIn: VmUpdateSpecIn): Promise<VmInfo> {
    if (typeof specIn.name === 'string') this.checkName(specIn.name);
    const spec = parseSpec(VmUpdateSpecSchema, specIn);
    return this.locks.withLock(spec.name, async () => {
      const def = await this.store.loadDefinition(spec.name);
      const vm = this.live.get(spec.name);
      if (vm) throw new NovaError('failed_precondition', `VM ${spec.name} is ${vm.state}: stop it before changing its settings`);
      const next: VmDefinition = { ...def };
      if (spec.cpus !== undefined) next.cpus = spec.cpus;
      if (spec.memory !== undefined) next.memoryMiB = spec.memory;
      if (spec.accel !== undefined) next.accel = spec.accel;
      if (spec.description !== undefined) next.description = spec.description;
      if (spec.cmdline !== undefined) {
        if (!def.kernel) throw new NovaError('invalid_argument', `VM ${spec.name} boots from disk: a kernel command line needs direct kernel boot`);
        next.kernel = { ...def.kernel, cmdline: spec.cmdline };
      }
      if (spec.network !== undefined) {
        next.network = vmNetworkFromChoice(spec.network);
        if (next.network.mode === 'nova') await this.networks.checkNetwork(next.network.network);
      }
      if (spec.cloudInit !== undefined) next.cloudInit = spec.cloudInit === null ? null : await cloudInitDefinition(spec.cloudInit, def.cloudInit);
      if (spec.display !== undefined && def.machine !== 'microvm') {
        next.display = { vnc: spec.display === 'vnc' || spec.display === 'both', spice: spec.display === 'spice' || spec.display === 'both' };
      }
      await this.store.saveDefinition(next);
      this.opts.logger.info({ vm: spec.name }, 'VM updated');
      return this.get(spec.name);
    });
  }

  async delete(name: string, opts: { force?: boolean; keepDisks?: boolean } = {}): Promise<void> {
    this.checkName(name);
    await this.locks.withLock(name, async () => {
      const def = await this.store.loadDefinition(name);
      const vm = this.live.get(name);
      if (vm) {
        if (!opts.force) throw new NovaError('failed_precondition', `VM ${name} is ${vm.state}: stop it first, or delete with force`);
        await this.forceStopLocked(name, vm);
      }
      for (const other of await this.store.listNames()) {
        if (other === name) continue;
        const o = await this.store.loadDefinition(other).catch(() => null);
        const uses = o && (await Promise.all(o.disks.map((d) => this.backingOf(d.path)))).some((b) => b && def.disks.some((d) => d.path === b));
        if (uses) throw new NovaError('failed_precondition', `VM ${name} is the base of linked clone ${other}: delete ${other} first`);
      }
      const dir = this.layout.vmDir(name);
      if (opts.keepDisks) {
        const keep = new Set(def.disks.filter((d) => d.owned).map((d) => d.path));
        for (const f of [join(dir, 'serial.log'), join(dir, 'qemu.log'), join(dir, 'cidata'), this.layout.cloudInitSeed(name), this.layout.runtimePaths(name).uefiVars]) {
          if (!keep.has(f)) await rm(f, { recursive: true, force: true });
        }
      } else {
        await rm(dir, { recursive: true, force: true });
      }
      await rm(this.layout.vmRunDir(name), { recursive: true, force: true });
      await this.store.removeAll(name);
      this.prevSamples.delete(name);
      this.opts.logger.info({ vm: name, keepDisks: opts.keepDisks ?? false }, 'VM deleted');
    });
  }

  async setTemplate(name: string, template: boolean): Promise<VmInfo> {
    this.checkName(name);
    return this.locks.withLock(name, async () => {
      const def = await this.store.loadDefinition(name);
      if (this.live.has(name)) throw new NovaError('failed_precondition', `VM ${name} is running: stop it before changing it into a template`);
      await this.store.saveDefinition({ ...def, template });
      return this.get(name);
    });
  }

  /** Linked clones (overlays on the source's disks) need a template source, so its disks never change under them. */
  async clone(source: string, target: string, opts: { linked?: boolean } = {}): Promise<VmInfo> {
    this.checkName(source);
    this.checkName(target);
    const linked = opts.linked ?? false;
    return this.locks.withLock(source, () =>
      this.locks.withLock(target, async () => {
        const def = await this.store.loadDefinition(source);
        if (await this.store.exists(target)) throw new NovaError('already_exists', `VM ${target} already exists`);
        if (this.live.has(source)) throw new NovaError('failed_precondition', `VM ${source} is running: stop it before cloning`);
        if (linked && !def.template) throw new NovaError('failed_precondition', `a linked clone needs a template: mark ${source} as a template first`);
        const dir = this.layout.vmDir(target);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        try {
          const disks: VmDisk[] = [];
          for (const d of def.disks) {
            const path = join(dir, `${d.id}.qcow2`);
            if (linked) await this.img.createOverlay(path, d.path, d.format);
            else await this.img.convert(d.path, path, { srcFormat: d.format, dstFormat: 'qcow2' });
            disks.push({ ...d, path, format: 'qcow2', owned: true });
          }
          const src = this.layout.runtimePaths(source).uefiVars;
          if (def.firmware === 'uefi') await copyFile(src, this.layout.runtimePaths(target).uefiVars).catch(() => undefined);
          await this.store.saveDefinition({ ...def, name: target, disks, template: false, createdAt: new Date().toISOString() });
        } catch (err) {
          await rm(dir, { recursive: true, force: true });
          await this.store.removeAll(target);
          throw err;
        }
        return this.get(target);
      }),
    );
  }

  // ---- lifecycle -----------------------------------------------------------------

  async start(name: string, opts: StartOptions = {}): Promise<VmInfo> {
    this.checkName(name);
    return this.locks.withLock(name, async () => {
      const def = await this.store.loadDefinition(name);
      if (def.template) throw new NovaError('failed_precondition', `VM ${name} is a template: clone it, or create a VM from it`);
      const vm = this.live.get(name);
      if (vm) throw new NovaError('failed_precondition', `VM ${name} is already ${vm.state}`);
      for (const d of def.disks) {
        if (!(await stat(d.path).catch(() => null))) throw new NovaError('not_found', `VM ${name}: disk ${d.id} (${d.path}) is missing`);
      }
      const watch = expectsSerialOutput(def.kernel?.cmdline);
      const bound = this.opts.bootWatchdogMs ?? DEFAULT_BOOT_WATCHDOG_MS;
      for (let attempt = 1; ; attempt++) {
        const started = await this.launch(def, opts);
        if (!watch) return this.get(name);
        const alive = async () => !(await isAlive(started.record.pid, started.record.startTime));
        if (await waitForSerialOutput(started.record.serialLog, bound, alive)) return this.get(name);
        const reason = `boot watchdog: no serial output within ${bound} ms (attempt ${attempt})`;
        this.opts.logger.warn({ vm: name, attempt }, reason);
        await this.forceStopLocked(name, started);
        if (attempt >= 2) {
          await this.markCrashed(name, started.record, `${reason}; the guest hung at boot twice`);
          throw new NovaError('timeout', `VM ${name} did not boot: no serial output within ${bound} ms, twice`);
        }
      }
    });
  }

  /** ACPI power button, then `quit` after the timeout; returns whether the guest shut down by itself. */
  async stop(name: string, opts: { force?: boolean; timeoutMs?: number } = {}): Promise<{ graceful: boolean }> {
    this.checkName(name);
    return this.locks.withLock(name, async () => {
      await this.store.loadDefinition(name);
      const vm = this.live.get(name);
      if (!vm) {
        const rec = await this.store.loadRuntime(name);
        if (rec?.crashed) {
          await this.cleanupRuntime(name);
          this.emit(name, 'stopped', null);
          return { graceful: false };
        }
        throw new NovaError('failed_precondition', `VM ${name} is not running`);
      }
      if (opts.force) {
        await this.forceStopLocked(name, vm);
        return { graceful: false };
      }
      vm.stopping = true;
      this.setState(name, vm, 'stopping', null);
      const timeoutMs = opts.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
      try {
        const qmp = vm.qmp!;
        if ((await qmp.queryStatus()).status === 'paused') await qmp.cont();
        await qmp.systemPowerdown();
      } catch (err) {
        this.opts.logger.warn({ err, vm: name }, 'powerdown failed; forcing');
      }
      if (await this.waitEnded(vm, timeoutMs)) return { graceful: true };
      this.opts.logger.info({ vm: name, timeoutMs }, 'guest ignored the power button; quitting');
      await this.forceStopLocked(name, vm);
      return { graceful: false };
    });
  }

  async pause(name: string): Promise<VmInfo> {
    return this.withRunning(name, async (vm) => {
      await vm.qmp!.stop();
      this.setState(name, vm, 'paused', null);
    });
  }

  async resume(name: string): Promise<VmInfo> {
    return this.withRunning(name, async (vm) => {
      await vm.qmp!.cont();
      this.setState(name, vm, 'running', null);
    });
  }

  /** A hard reset, as the reset button: the guest is not asked. */
  async reboot(name: string): Promise<VmInfo> {
    return this.withRunning(name, async (vm) => {
      await vm.qmp!.systemReset();
    });
  }

  // ---- snapshots -----------------------------------------------------------------

  async snapshotList(name: string): Promise<SnapshotTree> {
    this.checkName(name);
    await this.store.loadDefinition(name);
    return this.store.loadSnapshots(name);
  }

  async snapshotCreate(name: string, snap: string, description = ''): Promise<Snapshot> {
    this.checkName(name);
    this.checkSnapshotName(snap);
    return this.locks.withLock(name, async () => {
      const def = await this.store.loadDefinition(name);
      const devices = this.snapshotDevices(def);
      const tree = await this.store.loadSnapshots(name);
      if (tree.snapshots.some((s) => s.name === snap)) throw new NovaError('already_exists', `VM ${name} already has a snapshot named ${snap}`);
      const vm = this.live.get(name);
      let vmStateSize = 0;
      if (vm) {
        await vm.qmp!.snapshotSave(`nova-save-${snap}`, snap, devices[0]!, devices);
        vmStateSize = await this.vmStateSize(vm.qmp!, devices[0]!, snap);
      } else {
        const done: string[] = [];
        try {
          for (const d of def.disks.filter((x) => devices.includes(x.id))) {
            await this.img.snapshotCreate(d.path, snap);
            done.push(d.path);
          }
        } catch (err) {
          for (const p of done) await this.img.snapshotDelete(p, snap).catch(() => undefined);
          throw err;
        }
      }
      const entry: Snapshot = { name: snap, parent: tree.current, createdAt: new Date().toISOString(), withMemory: vm !== undefined, vmStateSize, description };
      await this.store.saveSnapshots(name, { current: snap, snapshots: [...tree.snapshots, entry] });
      return entry;
    });
  }

  async snapshotRestore(name: string, snap: string): Promise<void> {
    await this.withSnapshot(name, snap, async ({ def, tree, entry, devices, vm }) => {
      if (vm) {
        if (!entry.withMemory) throw new NovaError('failed_precondition', `snapshot ${snap} holds disks only: stop VM ${name} to restore it`);
        await vm.qmp!.snapshotLoad(`nova-load-${snap}`, snap, devices[0]!, devices);
      } else {
        for (const d of def.disks.filter((x) => devices.includes(x.id))) await this.img.snapshotApply(d.path, snap);
      }
      await this.store.saveSnapshots(name, { ...tree, current: snap });
    });
  }

  async snapshotDelete(name: string, snap: string): Promise<void> {
    await this.withSnapshot(name, snap, async ({ def, tree, entry, devices, vm }) => {
      if (vm) await vm.qmp!.snapshotDelete(`nova-del-${snap}`, snap, devices);
      else for (const d of def.disks.filter((x) => devices.includes(x.id))) await this.img.snapshotDelete(d.path, snap);
      // Children move up to the deleted snapshot's parent, so the tree stays connected.
      const snapshots = tree.snapshots.filter((s) => s.name !== snap).map((s) => (s.parent === snap ? { ...s, parent: entry.parent } : s));
      await this.store.saveSnapshots(name, { current: tree.current === snap ? entry.parent : tree.current, snapshots });
    });
  }

  /** Runs `work` under the VM's lock with an existing snapshot, its disks and the live VM if running. */
  private async withSnapshot(
    name: string,
    snap: string,
    work: (ctx: { def: VmDefinition; tree: SnapshotTree; entry: Snapshot; devices: string[]; vm: LiveVm | undefined }) => Promise<void>,
  ): Promise<void> {
    this.checkName(name);
    this.checkSnapshotName(snap);
    await this.locks.withLock(name, async () => {
      const def = await this.store.loadDefinition(name);
      const tree = await this.store.loadSnapshots(name);
      const entry = tree.snapshots.find((s) => s.name === snap);
      if (!entry) throw new NovaError('not_found', `VM ${name} has no snapshot named ${snap}`);
      await work({ def, tree, entry, devices: this.snapshotDevices(def), vm: this.live.get(name) });
    });
  }

  // ---- metrics -------------------------------------------------------------------

  async metrics(name: string): Promise<VmMetrics> {
    this.checkName(name);
    const vm = this.live.get(name);
    if (!vm) throw new NovaError('failed_precondition', `VM ${name} is not running`);
    const cur = await readProcSample(vm.record.pid);
    if (!cur) throw new NovaError('failed_precondition', `VM ${name}'s QEMU is gone`);
    const blocks = await vm.qmp!.queryBlockstats().catch(() => []);
    const m = buildMetrics(name, this.prevSamples.get(name), cur, blocks);
    this.prevSamples.set(name, cur);
    const tap = vm.record.tap ? await readTapCounters(vm.record.tap.ifname) : null;
    return tap ? { ...m, netRxBytes: tap.rxBytes, netTxBytes: tap.txBytes } : m;
  }

  /** Samples every running VM every `intervalMs`; returns a stop function. */
  startSampling(onSample: (m: VmMetrics) => void, intervalMs = 1000): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return; // never pile samples up behind a slow QMP
      busy = true;
      void Promise.all(
        [...this.live.keys()].map((n) => this.metrics(n).then(onSample, () => undefined)),
      ).finally(() => (busy = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  // ---- internals -----------------------------------------------------------------

  private async launch(def: VmDefinition, opts: StartOptions): Promise<LiveVm> {
    const name = def.name;
    const accel = def.accel === 'auto' ? await this.opts.hostAccelerator() : def.accel;
    const paths = this.layout.runtimePaths(name);
    const runDir = this.layout.vmRunDir(name);
    await rm(runDir, { recursive: true, force: true });
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    await mkdir(this.layout.vmDir(name), { recursive: true, mode: 0o700 });
    await unlink(paths.serialLog).catch(() => undefined);
    const logPath = this.layout.qemuLog(name);
    await rm(logPath, { force: true });
    if (def.firmware === 'uefi' && !(await stat(paths.uefiVars).catch(() => null)) && this.opts.ovmfVars) {
      await copyFile(this.opts.ovmfVars, paths.uefiVars);
    }
    const runAs = await this.qemuUser(def, opts);
    if (runAs) {
      for (const p of [runDir, this.layout.vmDir(name), ...def.disks.filter((d) => d.owned).map((d) => d.path)]) await chown(p, runAs.uid, runAs.gid);
    }
    const vncPort = def.display.vnc ? await freeLoopbackPort() : null;
    const vncPassword = def.display.vnc ? randomBytes(6).toString('base64url').slice(0, 8) : null;
    const uid = runAs?.uid;
    this.emit(name, 'starting', null);
    let tap: VmTap | null = null;
    let spawned;
    try {
      const nicMac = def.network.mode === 'nova' ? (tap = await this.networks.attachTap(def.network.network, name, runAs ?? undefined)).mac : null;
      const seed = def.cloudInit ? this.layout.cloudInitSeed(name) : null;
      if (def.cloudInit && seed) {
        await writeSeedIso(seed, buildSeedFiles({ vmName: name, cloudInit: def.cloudInit, nic: def.network.mode === 'none' ? null : { mac: nicMac } }));
        if (runAs) await chown(seed, runAs.uid, runAs.gid);
      }
      const argv = buildQemuArgv({
        qemuBinary: this.opts.qemuBinary ?? 'qemu-system-x86_64',
        def,
        accel,
        paths,
        vncWebsocketPort: vncPort,
        ovmfCode: this.opts.ovmfCode ?? null,
        tap,
        cloudInitSeed: seed,
      });
      this.opts.logger.debug({ vm: name, argv }, 'starting QEMU');
      spawned = await spawnQemu(argv, { logPath, uid, gid: runAs?.gid });
    } catch (err) {
      if (tap) await this.releaseTap(name, tap);
      this.emit(name, 'stopped', (err as Error).message);
      throw err;
    }
    const record: RuntimeRecord = {
      version: 1,
      pid: spawned.pid,
      startTime: spawned.startTime,
      startedAt: new Date().toISOString(),
      accel,
      qmpSocket: paths.qmpSocket,
      serialSocket: paths.serialSocket,
      serialLog: paths.serialLog,
      vncSocket: def.display.vnc ? paths.vncSocket : null,
      vncWebsocketPort: vncPort,
      vncPassword,
      spiceSocket: def.display.spice ? paths.spiceSocket : null,
      tap,
      crashed: null,
    };
    // Written before QMP is up, so a helper killed right here still finds (and can kill) this QEMU.
    await this.store.saveRuntime(name, record);
    let exitNote: string | null = null;
    void spawned.exited.then(({ code, signal }) => {
      exitNote = signal ? `QEMU was killed by ${signal}` : `QEMU exited with code ${code}`;
    });
    try {
      const gone = async () => !(await isAlive(spawned.pid, spawned.startTime));
      await waitForSocket(paths.qmpSocket, this.opts.qmpReadyTimeoutMs ?? 15_000, gone);
      const qmp = await QmpClient.connect(paths.qmpSocket, { logger: this.opts.logger.child({ vm: name, component: 'qmp' }) });
      if (vncPassword) await qmp.setVncPassword(vncPassword);
      return this.attach(name, record, qmp, () => exitNote);
    } catch (err) {
      await killQemu(spawned.pid, spawned.startTime).catch(() => undefined);
      await this.cleanupRuntime(name, record);
      const log = await tailFile(logPath);
      this.emit(name, 'stopped', log);
      throw isNovaError(err) ? new NovaError(err.code, `VM ${name} did not start: ${err.message}; QEMU said: ${log}`) : err;
    }
  }

  /** Tracks a QEMU through its QMP events until it ends, then cleans up. */
  private attach(name: string, record: RuntimeRecord, qmp: QmpClient, exitNote: () => string | null, initial: VmState = 'running'): LiveVm {
    let endedResolve!: () => void;
    const vm: LiveVm = {
      record,
      qmp,
      state: initial,
      stopping: false,
      guestShutdown: false,
      exitReason: null,
      ended: new Promise<void>((r) => (endedResolve = r)),
    };
    this.live.set(name, vm);
    this.emit(name, initial, null);
    qmp.onEvent((ev: QmpEvent) => {
      if (this.live.get(name) !== vm) return;
      switch (ev.event) {
        case 'STOP':
          if (vm.state === 'running') this.setState(name, vm, 'paused', null);
          break;
        case 'RESUME':
          if (vm.state === 'paused') this.setState(name, vm, 'running', null);
          break;
        case 'SHUTDOWN':
          if (!ev.synthetic) {
            vm.guestShutdown = ev.data.guest === true || vm.stopping;
            if (vm.state !== 'stopping') this.setState(name, vm, 'stopping', null);
          }
          break;
        case 'DISCONNECTED':
          void this.onQemuGone(name, vm, exitNote).finally(endedResolve);
          break;
        default:
          break;
      }
    });
    return vm;
  }

  private async onQemuGone(name: string, vm: LiveVm, exitNote: () => string | null): Promise<void> {
    if (this.live.get(name) !== vm) return;
    // The socket closes a moment before the process is reaped.
    await waitForExit(vm.record.pid, vm.record.startTime, 5000);
    this.live.delete(name);
    this.prevSamples.delete(name);
    if (vm.stopping || vm.guestShutdown) {
      await this.cleanupRuntime(name, vm.record);
      this.emit(name, 'stopped', null);
      return;
    }
    await new Promise((r) => setTimeout(r, 20)); // let the child's exit event land
    const log = await tailFile(this.layout.qemuLog(name), 3);
    const reason = `${exitNote() ?? `QEMU (pid ${vm.record.pid}) ended without a shutdown (killed or crashed)`}; log: ${log}`;
    await this.markCrashed(name, vm.record, reason);
  }

  private async markCrashed(name: string, record: RuntimeRecord, reason: string): Promise<void> {
    await rm(this.layout.vmRunDir(name), { recursive: true, force: true });
    if (record.tap) await this.releaseTap(name, record.tap);
    await this.store.saveRuntime(name, { ...record, crashed: { reason, at: new Date().toISOString() } });
    this.opts.logger.warn({ vm: name, reason }, 'VM crashed');
    this.emit(name, 'crashed', reason);
  }

  private async forceStopLocked(name: string, vm: LiveVm): Promise<void> {
    vm.stopping = true;
    if (vm.state !== 'stopping') this.setState(name, vm, 'stopping', null);
    try {
      await vm.qmp?.quit(3000);
    } catch (err) {
      this.opts.logger.warn({ err, vm: name }, 'quit failed; killing');
    }
    if (!(await waitForExit(vm.record.pid, vm.record.startTime, 5000))) await killQemu(vm.record.pid, vm.record.startTime);
    await this.waitEnded(vm, 5000);
    if (this.live.get(name) === vm) {
      // The QMP socket never reported the end (it was already gone): clean up here.
      this.live.delete(name);
      vm.qmp?.close();
      await this.cleanupRuntime(name, vm.record);
      this.emit(name, 'stopped', null);
    }
  }

  private async waitEnded(vm: LiveVm, timeoutMs: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (t = setTimeout(() => r(false), timeoutMs)));
    try {
      return await Promise.race([vm.ended.then(() => true as const), timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  private async recover(name: string): Promise<void> {
    const record = await this.store.loadRuntime(name);
    if (!record || record.crashed) return;
    if (await isQemuOfVm(record.pid, record.startTime, name)) {
      try {
        const qmp = await QmpClient.connect(record.qmpSocket, { logger: this.opts.logger.child({ vm: name, component: 'qmp' }) });
        const status = await qmp.queryStatus();
        this.attach(name, record, qmp, () => null, status.status === 'paused' ? 'paused' : 'running');
        this.opts.logger.info({ vm: name, pid: record.pid }, 'reattached to running VM');
        return;
      } catch (err) {
        // A QEMU we cannot control is worse than none: end it, and say so.
        this.opts.logger.error({ err, vm: name }, 'cannot reach QMP of a running VM; killing it');
        await killQemu(record.pid, record.startTime).catch(() => undefined);
        await this.markCrashed(name, record, `QMP unreachable after helper restart (${(err as Error).message}); QEMU was killed`);
        return;
      }
    }
    const log = await tailFile(this.layout.qemuLog(name), 3);
    await this.markCrashed(name, record, `QEMU (pid ${record.pid}) was gone when the helper started; log: ${log}`);
  }

  private async cleanupRuntime(name: string, record?: RuntimeRecord | null): Promise<void> {
    await rm(this.layout.vmRunDir(name), { recursive: true, force: true });
    if (record?.tap) await this.releaseTap(name, record.tap);
    await this.store.removeRuntime(name);
  }

  /** Gives the tap back; a failure is logged, never thrown, so stopping a VM always completes. */
  private async releaseTap(name: string, tap: VmTap): Promise<void> {
    try {
      await this.networks.detachTap(tap.network, name);
    } catch (err) {
      this.opts.logger.warn({ err, vm: name, network: tap.network }, 'could not remove the tap of a stopped VM');
    }
  }

  private async withRunning(name: string, work: (vm: LiveVm) => Promise<void>): Promise<VmInfo> {
    this.checkName(name);
    return this.locks.withLock(name, async () => {
      await this.store.loadDefinition(name);
      const vm = this.live.get(name);
      if (!vm || vm.state === 'stopping') throw new NovaError('failed_precondition', `VM ${name} is not running`);
      await work(vm);
      return this.get(name);
    });
  }

  private snapshotDevices(def: VmDefinition): string[] {
    const devices = def.disks.filter((d) => d.format === 'qcow2' && !d.readOnly).map((d) => d.id);
    if (devices.length === 0) throw new NovaError('failed_precondition', `VM ${def.name} has no qcow2 disk to hold snapshots: add one`);
    return devices;
  }

  private async vmStateSize(qmp: QmpClient, node: string, tag: string): Promise<number> {
    type Block = { inserted?: { 'node-name'?: string; image?: { snapshots?: Array<{ name: string; 'vm-state-size': number }> } } };
    const blocks = await qmp.execute<Block[]>('query-block').catch(() => [] as Block[]);
    const hit = blocks.find((b) => b.inserted?.['node-name'] === node)?.inserted?.image?.snapshots?.find((s) => s.name === tag);
    return hit?.['vm-state-size'] ?? 0;
  }

  /**
   * The user QEMU runs as: the caller when every file QEMU opens by name is reachable
   * with the caller's rights, root (null) otherwise, logged with the path in the way.
   */
  private async qemuUser(def: VmDefinition, opts: StartOptions): Promise<Credentials | null> {
    if (opts.runAsUid === undefined || opts.runAsUid === 0) return null;
    const who = { uid: opts.runAsUid, gid: opts.runAsGid ?? opts.runAsUid };
    const asRoot = (why: string) => {
      this.opts.logger.info({ vm: def.name, uid: who.uid, why }, 'QEMU runs as root: the calling user cannot reach everything it needs');
      return null;
    };
    const checks: Array<[string, 'r' | 'rw', boolean]> = [
      [this.layout.vmRunDir(def.name), 'rw', true],
      [this.layout.vmDir(def.name), 'rw', true],
    ];
    for (const d of def.disks) {
      checks.push([d.path, d.readOnly ? 'r' : 'rw', d.owned]);
      const backing = await this.backingOf(d.path);
      if (backing) checks.push([backing, 'r', false]);
    }
    for (const p of [def.iso, def.kernel?.kernel, def.kernel?.initrd]) if (p) checks.push([p, 'r', false]);
    if (def.firmware === 'uefi' && this.opts.ovmfCode) checks.push([this.opts.ovmfCode, 'r', false]);
    // The tap is made for this user, but QEMU still opens it through the tun device, which
    // udev leaves open to all on a desktop and some hosts keep root-only.
    if (def.network.mode === 'nova') checks.push([TUN_DEVICE, 'rw', false]);
    for (const [path, need, chowned] of checks) {
      const blocked = await blockedPath(path, need, who, chowned);
      if (blocked) return asRoot(blocked);
    }
    return who;
  }

  private async backingOf(path: string): Promise<string | null> {
    const info = await this.img.info(path, { shareLock: true }).catch(() => null);
    return info?.['full-backing-filename'] ?? info?.['backing-filename'] ?? null;
  }

  private checkName(name: string): void {
    const r = VmNameSchema.safeParse(name);
    if (!r.success) throw new NovaError('invalid_argument', `VM name ${JSON.stringify(name)}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  }

  private checkSnapshotName(name: string): void {
    const r = SnapshotNameSchema.safeParse(name);
    if (!r.success) throw new NovaError('invalid_argument', `snapshot name ${JSON.stringify(name)}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  }

  private setState(name: string, vm: LiveVm, state: VmState, reason: string | null): void {
    if (vm.state === state) return;
    vm.state = state;
    this.emit(name, state, reason);
  }

  private emit(name: string, state: VmState, reason: string | null): void {
    this.opts.logger.debug({ vm: name, state, reason }, 'VM state');
    this.opts.onStateChange?.({ name, state, reason });
  }
}

/** A free TCP port on 127.0.0.1 for VNC's websocket (QEMU takes no unix socket there). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A spec through its schema; the first problem becomes an invalid_argument naming the field. */
function parseSpec<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new NovaError('invalid_argument', `${issue?.path.join('.') || 'spec'}: ${issue?.message ?? 'invalid'}`);
}
