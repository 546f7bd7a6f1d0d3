// Starting a VM: its disks opened and checked (QEMU gets those descriptors), its runtime
// files, the user QEMU runs as, its tap and cloud-init seed, QEMU's command line and
// process, its QMP monitor, and then the boot watchdog for guests that talk on their
// serial console. Each step reports its phase; a cancel or a failure at any point kills
// QEMU and gives everything back, leaving the VM stopped. The start's intent is recorded
// before any of it and QEMU starts paused, running the guest only once its record and
// monitor exist, so a helper killed at any step leaves what the next one can undo.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import type { VmDefinition, VmState } from '../../../src-shared/vm.js';
import type { PreparedVmDevices, VmDevicePort } from '../devices/vm-devices.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { StartIntents } from '../state/start-intent.js';
import type { Logger } from '../util/logger.js';
import { pauseAt } from '../util/test-pause.js';
import { DEFAULT_BOOT_WATCHDOG_MS, expectsSerialOutput, waitForSerialOutput } from './boot-watchdog.js';
import { buildSeedFiles, writeSeedIso } from './cloud-init-seed.js';
import { imagesFor, type FirmwareImages } from './firmware.js';
import { buildQemuArgv, passedFiles, type VmRuntimePaths } from './qemu-argv.js';
import { expectQemuPeer, isAlive, killQemu, qemusOfVm, spawnQemu, tailFile, waitForSocket, type SpawnedQemu } from './qemu-process.js';
import { QmpClient } from './qmp-client.js';
import { cdDrivesOf, resolveBootOrder } from '../../../src-shared/vm-devices.js';
import { diskHasPartitionTable } from './disk-boot-sector.js';
import { checkQemuUserReach, type Credentials } from './run-as-user.js';
import { startSwtpm } from './swtpm.js';
import type { ShareDaemons } from './share-daemons.js';
import type { QemuDiskFiles } from './vm-disk-files.js';
import { vmCommandLine, withDevices } from './vm-command-line.js';
import type { VmLayout } from './vm-layout.js';
import { nicAttachmentName, nicNetworks, type VmNetworkPort, type VmTap } from './vm-network.js';
import { setNicLink } from './vm-live-devices.js';
import { VmRuntime, type VmRuntimeHooks } from './vm-runtime.js';
import type { VmRuntimeFiles } from './vm-runtime-files.js';
import { RUNTIME_RECORD_VERSION, type RuntimeRecord } from './vm-store.js';

export interface LauncherOptions {
  layout: VmLayout;
  files: VmRuntimeFiles;
  networks: VmNetworkPort;
  runner: ProcessRunner;
  logger: Logger;
  hooks: VmRuntimeHooks;
  /** Written before anything of a start exists, removed once QEMU runs the guest: what a killed helper leaves says what was still starting. */
  intents: StartIntents;
  hostAccelerator: () => Promise<'kvm' | 'tcg'>;
  /** Each disk's chain, the ISO, kernel and initrd checked again now and opened for QEMU (vm-disk-files.ts); refuses a VM whose files reach outside, or that `user` may not reach. */
  diskFiles: (def: VmDefinition, user: Credentials | null, signal: AbortSignal) => Promise<QemuDiskFiles>;
  /** After an unclean stop: the disks checked and leaks repaired, or the start refused (disk-consistency.ts). */
  diskCheck: (def: VmDefinition, steps: { signal: AbortSignal; phase: (phase: string) => void }) => Promise<unknown>;
  qemuBinary: string;
  /** The OVMF builds this host has, per UEFI firmware. */
  firmware: FirmwareImages;
  bootWatchdogMs: number | undefined;
  /** Time QEMU gets to open its QMP socket. */
  qmpReadyTimeoutMs: number;
  /** Deadline of each QMP command (and of the greeting). */
  qmpTimeoutMs: number;
  /** Passed-through PCI devices; null: a VM that lists devices is refused. */
  devices: VmDevicePort | null;
  /** The shared folders' checks and virtiofsd daemons (share-daemons.ts). */
  shares: ShareDaemons;
}

/** A QEMU just spawned, with what was made for it. */
interface Spawned {
  spawned: SpawnedQemu;
  paths: VmRuntimePaths;
  taps: VmTap[];
  vncPort: number | null;
}

/** What a start reports and listens to: the operation's phase and its cancel. */
export interface StartSteps {
  signal: AbortSignal;
  phase: (phase: string) => void;
  /** Called with the runtime as soon as it exists, before the boot watchdog. */
  started: (runtime: VmRuntime) => void | Promise<void>;
  /** Resuming a suspended VM: QEMU waits with `-incoming defer`, and this feeds it the saved state before `cont` (managed-save.ts). */
  incoming?: (qmp: QmpClient) => Promise<void>;
  /** CPU features the guest must not see (a migration's destination: those the source's CPU lacks). */
  cpuOff?: readonly string[];
  /** A migration's destination: the guest stays paused (and its start intent stays, so a killed helper undoes it) until the source says the move is whole. */
  holdPaused?: boolean;
}

export const PHASE_STARTING_QEMU = 'starting QEMU';
export const PHASE_FIRST_OUTPUT = "waiting for the guest's first output";

export class VmLauncher {
  constructor(private readonly o: LauncherOptions) {}

  /** QEMU running with its monitor answering and, for serial-console guests, the guest talking. */
  async start(def: VmDefinition, runAs: Credentials | null, steps: StartSteps): Promise<VmRuntime> {
    // A resumed guest is past its boot: it owes the console nothing.
    const watch = !steps.incoming && expectsSerialOutput(def.kernel?.cmdline);
    const bound = this.o.bootWatchdogMs ?? DEFAULT_BOOT_WATCHDOG_MS;
    for (let attempt = 1; ; attempt++) {
      const runtime = await this.launch(def, runAs, steps);
      await steps.started(runtime);
      if (!watch) return runtime;
      steps.phase(attempt === 1 ? PHASE_FIRST_OUTPUT : `${PHASE_FIRST_OUTPUT} (second try)`);
      const gone = async () => !(await isAlive(runtime.record.pid, runtime.record.startTime));
      if (await waitForSerialOutput(runtime.record.serialLog, bound, gone, steps.signal)) return runtime;
      if (steps.signal.aborted) {
        await runtime.kill();
        throw new NovaError('cancelled', `start of VM ${def.name} was cancelled while the guest booted; QEMU was stopped`);
      }
      const reason = `boot watchdog: no serial output within ${bound} ms (attempt ${attempt})`;
      this.o.logger.warn({ vm: def.name, attempt }, reason);
      if (attempt >= 2) {
        await runtime.kill();
        await this.o.files.markCrashed(def.name, runtime.record, `${reason}; the guest hung at boot twice`);
        this.o.hooks.onState(def.name, 'crashed', `${reason}; the guest hung at boot twice`);
        throw new NovaError('timeout', `VM ${def.name} did not boot: no serial output within ${bound} ms, twice`);
      }
      steps.phase('restarting QEMU: the guest printed nothing');
      await runtime.kill();
    }
  }

  /** One QEMU run, its intent recorded first; a run that fails has cleaned up after itself, and its intent goes with it. */
  private async launch(def: VmDefinition, runAs: Credentials | null, steps: StartSteps): Promise<VmRuntime> {
    // The intent's fsyncs overlap the checks that make nothing (no second QEMU, the disks
    // opened and checked); launchIntended awaits it before the first thing a start makes.
    const intent = this.o.intents.begin('vm', def.name);
    intent.catch(() => undefined);
    try {
      await this.refuseSecondQemu(def.name);
      return await this.launchIntended(def, runAs, steps, intent);
    } catch (err) {
      // Settled first, so the removal never runs ahead of the intent's own rename.
      await intent.catch(() => undefined);
      // QEMU is gone or never ran: devices bound for it go back now, not at the next start.
      await this.o.devices?.release(def.name).catch((releaseErr: unknown) => this.o.logger.error({ vm: def.name, err: releaseErr }, 'giving back passed-through devices failed'));
      await this.o.intents.end('vm', def.name);
      throw err;
    }
  }

  /** The command line the next start would run, making nothing (vm-command-line.ts). */
  commandLine(def: VmDefinition): Promise<{ argv: string[]; notes: string[] }> {
    return vmCommandLine(def, this.o);
  }

  /** Never two QEMUs for one VM: one that no record names (a crash's leftover) is found by its command line. */
  private async refuseSecondQemu(name: string): Promise<void> {
    const found = await qemusOfVm(name, this.o.layout.runtimePaths(name).pidFile);
    if (found.length === 0) return;
    const pids = found.map((p) => p.pid).join(', ');
    throw new NovaError('failed_precondition', `VM ${name} already has a QEMU running (pid ${pids}) that this helper does not control; restart the helper (it stops or adopts it), or stop that process`, { pids: found.map((p) => p.pid) });
  }

  private async launchIntended(def: VmDefinition, runAs: Credentials | null, steps: StartSteps, intent: Promise<void>): Promise<VmRuntime> {
    const name = def.name;
    const { signal } = steps;
    const accel = def.accel === 'auto' ? await this.o.hostAccelerator() : def.accel;
    // QEMU runs as the caller, root only for root: never as root on a user's behalf.
    const user = runAs && runAs.uid !== 0 ? runAs : null;
    // The folder is root's again before anything in it is opened.
    await this.o.files.claim(def);
    await this.o.diskCheck(def, steps);
    // Held from the check to QEMU's start: QEMU gets these descriptors, never the paths.
    const disks = await this.o.diskFiles(def, user, signal);
    let started: Spawned;
    try {
      await intent;
      started = await this.spawn(def, accel, user, disks, steps);
    } finally {
      // QEMU holds its own copies now (or never will): the helper keeps none.
      await disks.close();
    }
    await pauseAt('vm-start:after-spawn');
    const { spawned, paths, taps, vncPort } = started;
    if (def.devices?.length) await this.o.devices?.attached(name, spawned);
    const vncPassword = def.display.vnc ? randomBytes(6).toString('base64url').slice(0, 8) : null;
    const logPath = this.o.layout.qemuLog(name);
    const record: RuntimeRecord = {
      version: RUNTIME_RECORD_VERSION,
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
      taps,
      cpuOff: [...(steps.cpuOff ?? [])],
      crashed: null,
    };
    let exitNote: string | null = null;
    void spawned.exited.then(({ code, signal: sig }) => {
      exitNote = sig ? `QEMU was killed by ${sig}` : `QEMU exited with code ${code}`;
    });
    // A cancel now kills QEMU at once; whatever waits on it then fails fast.
    const onAbort = () => void killQemu(spawned.pid, spawned.startTime).catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Durable before the guest runs (cont, below); its fsync overlaps QEMU's own start.
      // Both settle before a failure is handled, so the cleanup never races the save.
      const gone = async () => !(await isAlive(spawned.pid, spawned.startTime));
      const [saved, ready] = await Promise.allSettled([this.o.files.saveRecord(name, record), waitForSocket(paths.qmpSocket, this.o.qmpReadyTimeoutMs, gone, signal)]);
      if (saved.status === 'rejected') throw saved.reason;
      if (ready.status === 'rejected') throw ready.reason;
      const qmp = await QmpClient.connect(paths.qmpSocket, {
        timeoutMs: this.o.qmpTimeoutMs,
        label: `VM ${name}`,
        logger: this.o.logger.child({ vm: name, component: 'qmp' }),
        verifyPeer: expectQemuPeer(spawned.pid),
      });
      try {
        if (signal.aborted) throw cancelled(name);
        if (vncPassword) await qmp.setVncPassword(vncPassword);
        if (steps.incoming) {
          steps.phase('loading the saved state');
          await steps.incoming(qmp);
        }
        if (!steps.holdPaused) {
          // A cable the settings keep out is out before the guest first looks.
          for (const [index, nic] of def.nics.entries()) if (nic.link === 'down') await setNicLink(qmp, index, false);
          // QEMU came up paused (-S): the guest runs only now that its record and monitor are in place.
          await qmp.cont();
          await this.o.intents.end('vm', name);
          await pauseAt('vm-start:after-cont');
        }
      } catch (err) {
        qmp.close();
        throw err;
      }
      return new VmRuntime({ name, record, qmp, initial: steps.holdPaused ? 'paused' : 'running', hooks: this.o.hooks, logger: this.o.logger, qemuLog: logPath, exitNote: () => exitNote });
    } catch (err) {
      await killQemu(spawned.pid, spawned.startTime).catch(() => undefined);
      await this.o.files.remove(name, record);
      if (signal.aborted) {
        this.emit(name, 'stopped', 'start cancelled');
        throw cancelled(name);
      }
      const log = await tailFile(logPath);
      this.emit(name, 'stopped', log);
      throw isNovaError(err) ? new NovaError(err.code, `VM ${name} did not start: ${err.message}; QEMU said: ${log}`, err.details) : err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Everything up to QEMU's spawn (runtime files, tap, seed), undone when a step fails. */
  private async spawn(def: VmDefinition, accel: 'kvm' | 'tcg', user: Credentials | null, disks: QemuDiskFiles, steps: StartSteps): Promise<Spawned> {
    const name = def.name;
    const { signal } = steps;
    const ovmfCode = imagesFor(this.o.firmware, def.firmware)?.code ?? null;
    if (user) await checkQemuUserReach(def, user, { runDir: this.o.layout.vmRunDir(name), vmDir: this.o.layout.vmDir(name), ovmfCode });
    const paths = await this.o.files.prepare(def, user).catch(async (err: unknown) => {
      await this.o.files.remove(name, null).catch(() => undefined);
      throw err;
    });
    const vncPort = def.display.vnc ? await freeLoopbackPort() : null;
    this.emit(name, 'starting', null);
    const taps: VmTap[] = [];
    try {
      const networks = nicNetworks(def.nics);
      for (const [index, network] of networks.entries()) {
        if (network === null) continue;
        steps.phase(`attaching NIC net${index} to network ${network}`);
        const resource = nicAttachmentName(name, index, networks);
        taps.push({ ...(await this.o.networks.attachTap(network, resource, user ?? undefined)), index, resource });
      }
      await pauseAt('vm-start:after-tap');
      const seed = def.cloudInit ? this.o.layout.cloudInitSeed(name) : null;
      if (def.cloudInit && seed) {
        steps.phase('writing the cloud-init seed');
        // The seed's network config names the first NIC (the one its address, if any, is for).
        const first = def.nics[0];
        const nic = first ? { mac: first.mac ?? taps.find((t) => t.index === 0)?.mac ?? null } : null;
        await writeSeedIso(seed, buildSeedFiles({ vmName: name, cloudInit: def.cloudInit, nic }), { runner: this.o.runner, signal });
        await this.o.files.handOver(seed, user);
      }
      if (signal.aborted) throw cancelled(name);
      // Before QEMU, which connects to it at once; files.remove stops it if anything below fails.
      if (def.tpm === true) await this.startTpm(def, paths, user, steps);
      // Also before QEMU, which connects to each virtiofsd; files.remove stops them as it stops swtpm.
      await this.o.shares.start(def, user, signal, steps.phase);
      await pauseAt('vm-start:after-virtiofsd');
      const devices = await this.passedDevices(def, user, steps);
      if (def.usb?.length || def.lookingGlass) await this.o.devices?.handOverNodes(def, user);
      const backing = disks.backing;
      const bootOrder = resolveBootOrder(def, await this.firstDiskInstalled(def, disks, signal));
      const qemuArgv = buildQemuArgv({ qemuBinary: this.o.qemuBinary, def, accel, paths, vncWebsocketPort: vncPort, ovmfCode, taps, cloudInitSeed: seed, backing, paused: true, bootOrder, incoming: steps.incoming !== undefined, cpuOff: steps.cpuOff, virtiofsSockets: this.o.layout.virtiofsSockets(def) });
      const argv = withDevices(qemuArgv, devices);
      steps.phase(PHASE_STARTING_QEMU);
      this.o.logger.debug({ vm: name, argv }, 'starting QEMU');
      const passFds = disks.fdsFor(passedFiles(def, backing));
      const spawned = await spawnQemu(argv, { logPath: this.o.layout.qemuLog(name), runner: this.o.runner, passFds, ...(user ? { uid: user.uid, gid: user.gid } : {}) });
      return { spawned, paths, taps, vncPort };
    } catch (err) {
      await this.o.files.releaseTaps(name, taps);
      await this.o.files.remove(name, null);
      this.emit(name, 'stopped', signal.aborted ? 'start cancelled' : (err as Error).message);
      throw signal.aborted ? cancelled(name) : err;
    }
  }

  /** Only asked when the answer changes the order: an automatic order with a CD to boot and a disk after it. */
  private async firstDiskInstalled(def: VmDefinition, disks: QemuDiskFiles, signal: AbortSignal): Promise<boolean> {
    const first = def.disks[0];
    if (def.bootOrder || def.kernel || !first || !cdDrivesOf(def).some((cd) => cd.path !== null)) return false;
    const source = disks.sourceOf(first.id);
    return source !== null && diskHasPartitionTable(this.o.runner, source, signal);
  }

  private async startTpm(def: VmDefinition, paths: VmRuntimePaths, user: Credentials | null, steps: StartSteps): Promise<void> {
    steps.phase('starting the TPM (swtpm)');
    const l = this.o.layout;
    const swtpmPaths = { stateDir: l.tpmStateDir(def.name), ctrlSocket: paths.tpmSocket, pidFile: l.swtpmPidFile(def.name), logFile: l.swtpmLog(def.name) };
    await startSwtpm({ paths: swtpmPaths, runner: this.o.runner, user, readyTimeoutMs: this.o.qmpReadyTimeoutMs, signal: steps.signal, vmName: def.name });
    await pauseAt('vm-start:after-swtpm');
  }

  private async passedDevices(def: VmDefinition, user: Credentials | null, steps: StartSteps): Promise<PreparedVmDevices | null> {
    if (!def.devices?.length && !def.mdevs?.length) return null;
    if (!this.o.devices) throw new NovaError('unsupported', `VM ${def.name} lists PCI or mediated devices, but this helper has no device passthrough`);
    return this.o.devices.prepare(def, user, steps.phase);
  }

  private emit(name: string, state: VmState, reason: string | null): void {
    this.o.hooks.onState(name, state, reason);
  }
}

function cancelled(name: string): NovaError {
  return new NovaError('cancelled', `start of VM ${name} was cancelled; QEMU was stopped and nothing of the run was kept`);
}

/** A free TCP port on 127.0.0.1 for VNC's websocket (QEMU takes no unix socket there). */
async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
