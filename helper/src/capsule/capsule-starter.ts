// Starting a capsule's run: its files written, its network joined, its overlay mounted if
// it is not, then conmon started, which runs the container; the run is up once the runtime
// wrote the container's pid. A container that cannot start leaves nothing: its exit is
// recorded as `start-failed` with the runtime's own words, and what the run took is given back.
// The start's intent is recorded before any of it, for a helper killed midway (interrupted-start.ts).
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { OciDeviceNode } from '../devices/gpu-nodes.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { StartIntents } from '../state/start-intent.js';
import { dirChanges } from '../util/dir-changes.js';
import { pauseAt } from '../util/test-pause.js';
import { exitFromRunEnd, type RunEnd } from './capsule-exit.js';
import type { CapsuleLayers } from './capsule-layer.js';
import type { CapsuleLayout, CapsulePaths } from './capsule-layout.js';
import type { CapsuleLog } from './capsule-logs.js';
import type { CapsuleMonitor } from './capsule-monitor.js';
import type { CapsuleAttachment } from './capsule-network.js';
import type { CapsuleNetworkJoin } from './capsule-network-join.js';
import type { CapsuleRecord } from './capsule-record.js';
import { CapsuleRun } from './capsule-run.js';
import type { ImageStore } from './image-store.js';
import type { InterruptedStarts } from './interrupted-start.js';
import type { RunFiles, PreparedRun } from './run-files.js';
import * as rt from './runtime-argv.js';
import { mappingOf, netnsSysctlArgv } from './user-namespace.js';
import type { VolumeStaging } from './volume-staging.js';

const START_WAIT_MS = 15_000;
const RUNTIME_TIMEOUT_MS = 10_000;

/** What a start needs of the capsule beyond its record. */
export interface StartSlot {
  name: string;
  rec: CapsuleRecord;
  prepared: PreparedRun | null;
  log: CapsuleLog;
}

export interface CapsuleStarterOptions {
  layout: CapsuleLayout;
  runner: Pick<ProcessRunner, 'run'>;
  images: ImageStore;
  layers: CapsuleLayers;
  runFiles: RunFiles;
  network: CapsuleNetworkJoin;
  monitor: CapsuleMonitor;
  volumes: VolumeStaging;
  runtimePath: (rec: CapsuleRecord) => Promise<string>;
  /** Saves the record durably (fsynced). */
  save: (name: string, rec: CapsuleRecord) => Promise<void>;
  /** Written before the start touches anything, removed once the container runs. */
  intents: StartIntents;
  interrupted: InterruptedStarts;
}

export class CapsuleStarter {
  constructor(private readonly o: CapsuleStarterOptions) {}

  /** Starts a run of a stopped capsule; the caller holds its lock and watches the run returned. */
  async start(slot: StartSlot): Promise<CapsuleRun> {
    const { name, rec } = slot;
    const o = this.o;
    const id = o.layout.containerId(name);
    // Lookups that do not depend on each other, side by side.
    const [runtime, staleRuntimeState] = await Promise.all([
      o.runtimePath(rec),
      stat(join(o.layout.runtimeRoot, id)).then(() => true, () => false),
      slot.log.prepare().then(() => slot.log.rotateIfFull(null)),
    ]);
    // A container no record names (a crash's leftover) would make `create` refuse the id, or
    // run beside this one: it and its monitor go first. Only then is the lookup worth its processes.
    if (staleRuntimeState) await o.interrupted.killLeftovers(name, rec);
    await o.intents.begin('capsule', name);
    try {
      const run = await this.prepareAndLaunch(slot, runtime);
      await o.intents.end('capsule', name);
      await pauseAt('capsule-start:after-start');
      return run;
    } catch (err) {
      await o.intents.end('capsule', name);
      throw err;
    }
  }

  private async prepareAndLaunch(slot: StartSlot, runtime: string): Promise<CapsuleRun> {
    const { name, rec } = slot;
    const o = this.o;
    const p = o.layout.paths(name);
    const id = o.layout.containerId(name);
    const image = await o.images.get(rec.imageId);
    if (!slot.prepared?.runDirEmpty) {
      await rm(p.run, { recursive: true, force: true });
      await mkdir(p.run, { mode: 0o700 });
    }
    const mapping = mappingOf(rec.userNamespace);
    let net: CapsuleAttachment | null = null;
    try {
      net = await o.network.join(name, rec.spec, mapping);
      const input = await o.runFiles.configInput(rec.spec, image, p.etc, net !== null, mapping);
      const [files] = await Promise.all([
        o.runFiles.write(p.dir, input, net, slot.prepared).catch((err: unknown) => {
          // A write cut short (a full disk) may have left half a file: the next start rewrites all.
          slot.prepared = null;
          throw err;
        }),
        o.layers.mount(name, rec),
        mapping && net ? o.runner.run({ argv: netnsSysctlArgv(o.layout.netnsName(name)), timeoutMs: RUNTIME_TIMEOUT_MS }) : null,
      ]);
      await pauseAt('capsule-start:after-mount');
      // From now on the /etc files are this run's: whatever it does to them, the next start rewrites them.
      slot.prepared = { config: files.config, etc: null, runDirEmpty: false };
      // Bound last, and only until runc has made the container, which keeps its own binds.
      const staged = await o.volumes.stage(name, rec.spec.volumes);
      try {
        return await this.launch(slot, p, id, runtime, net, input.devices ?? []);
      } finally {
        await staged.release();
      }
    } catch (err) {
      if (!rec.run && net) await o.network.leave(name, rec.spec, { name: net.network, address: net.address, netns: o.layout.netnsName(name) });
      throw err;
    }
  }

  private async launch(slot: StartSlot, p: CapsulePaths, id: string, runtime: string, net: CapsuleAttachment | null, devices: readonly OciDeviceNode[]): Promise<CapsuleRun> {
    const { name, rec } = slot;
    const o = this.o;
    // Watching run/ from before conmon starts, so the pid file cannot be missed.
    const changes = dirChanges(p.run);
    try {
      const launched = await o.monitor.launch({ paths: p, containerId: id, runtime, runtimeRoot: o.layout.runtimeRoot });
      let monitorExit: number | null | undefined;
      void launched.exited.then((code) => {
        monitorExit = code;
      });
      const network = net ? { name: net.network, address: net.address, hostIfname: net.hostIfname, hostname: net.hostname, netns: o.layout.netnsName(name) } : null;
      rec.run = {
        monitor: 'conmon',
        monitorPid: launched.pid,
        // A monitor gone before its start time was read cannot be found again: its end is read below.
        monitorStart: launched.startTime ?? 'gone',
        containerPid: null,
        startedAt: new Date().toISOString(),
        paused: false,
        network,
        ...(devices.length > 0 ? { gpuDevices: devices.map((d) => ({ path: d.path, major: d.major, minor: d.minor })) } : {}),
      };
      const run = new CapsuleRun(name, rec.run, p, o.layout.cgroupsPath(name), o.monitor);
      // Durable before start returns: a helper killed from then on finds the monitor again
      // through this record. Its fsync waits on the disk, not the CPU: it runs meanwhile.
      const saved = o.save(name, rec);
      saved.catch(() => undefined);
      const deadline = Date.now() + START_WAIT_MS;
      let pid: number | null = null;
      while (pid === null && monitorExit === undefined && Date.now() < deadline) {
        pid = o.monitor.containerPid(p);
        if (pid === null) await changes.next(25);
      }
      if (pid !== null) await pauseAt('capsule-start:after-create');
      await saved;
      // A quick container may be over, and its monitor gone, by the time we look again.
      pid ??= o.monitor.containerPid(p);
      if (pid === null && (await run.readEnd())) return run;
      if (pid === null) {
        if (monitorExit === undefined) process.kill(launched.pid, 'SIGKILL');
        const status = monitorExit ?? (await launched.exited);
        const end = await o.monitor.startFailure(p, monitorExit === undefined ? null : status);
        if (monitorExit === undefined) end.runtimeError = `the container did not come up within ${START_WAIT_MS / 1000} s`;
        throw await this.failed(slot, runtime, id, end);
      }
      rec.run.containerPid = pid;
      return run;
    } finally {
      changes.close();
    }
  }

  /** Records a start that failed, gives back what the run took, and says why. */
  private async failed(slot: StartSlot, runtime: string, id: string, end: RunEnd): Promise<NovaError> {
    const { name, rec } = slot;
    const failedRun = rec.run;
    rec.run = null;
    rec.desired = 'stopped';
    rec.lastExit = exitFromRunEnd(end, false);
    await this.o.save(name, rec);
    await this.o.runner.run({ argv: rt.deleteArgv(runtime, this.o.layout.runtimeRoot, id), timeoutMs: RUNTIME_TIMEOUT_MS, allowFailure: true });
    await this.o.network.leave(name, rec.spec, failedRun?.network ?? null);
    return new NovaError('failed_precondition', `Capsule "${name}" could not start: ${end.runtimeError ?? 'the runtime failed'}`);
  }
}
