// Making a capsule: every check first (runtime, user namespace, IO weight, volumes, network,
// image, command), then its dir built under a hidden name (writable layer, bundle, /etc
// files, record) and renamed into place, so a failed or cancelled create leaves nothing.
import { chmod, mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { applyCapsuleUpdate, CapsuleSpecSchema, type CapsuleSpec, type CapsuleState, type CapsuleUpdateSpec } from '../../../src-shared/capsule.js';
import { NovaError, schemaError } from '../../../src-shared/errors.js';
import { healthCheckProblem } from '../../../src-shared/health.js';
import type { OperationHandle } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { writeRecord } from '../state/record-store.js';
import type { CapsuleLayers } from './capsule-layer.js';
import type { CapsuleLayout } from './capsule-layout.js';
import type { CapsuleNetworkPort } from './capsule-network.js';
import { CAPSULE_RECORD, type CapsuleRecord } from './capsule-record.js';
import type { ImageStore } from './image-store.js';
import { buildOciConfig } from './oci-config.js';
import type { PreparedRun, RunFiles } from './run-files.js';
import * as rt from './runtime-argv.js';
import { decideUserNamespace, mappingOf, matchOwner, type UserNamespaceSupport } from './user-namespace.js';
import { checkVolume } from './volume-paths.js';
import { checkRootfsShape } from './rootfs-shape.js';

export const KNOWN_RUNTIMES = ['crun', 'runc'] as const;
const COPY_TIMEOUT_MS = 10 * 60_000;

export function checkRuntimeName(name: string, allowAuto: boolean): void {
  if ((allowAuto && name === 'auto') || (KNOWN_RUNTIMES as readonly string[]).includes(name)) return;
  throw new NovaError('invalid_argument', `Unknown OCI runtime "${name}": use one of ${allowAuto ? 'auto, ' : ''}${KNOWN_RUNTIMES.join(', ')}`);
}

export interface CapsuleProvisionerOptions {
  layout: CapsuleLayout;
  runner: Pick<ProcessRunner, 'run'>;
  images: ImageStore;
  layers: CapsuleLayers;
  runFiles: RunFiles;
  networks: CapsuleNetworkPort;
  volumeRoots: readonly string[];
  /** The helper's runtime: `auto` or a name. */
  runtime: string;
  resolveRuntime: (name: string) => Promise<{ name: string; path: string } | null>;
  userNamespaceSupport: (runtimePath: string) => Promise<UserNamespaceSupport>;
  cgroupRoot: string;
}

export class CapsuleProvisioner {
  constructor(private readonly o: CapsuleProvisionerOptions) {}

  /** Builds the capsule's dir; the caller holds its lock and checked the name is free. */
  async provision(spec: CapsuleSpec, op: OperationHandle): Promise<{ rec: CapsuleRecord; prepared: PreparedRun }> {
    const o = this.o;
    op.progress({ phase: 'checking the spec' });
    const runtimeName = spec.runtime ?? o.runtime;
    checkRuntimeName(runtimeName, true);
    const runtime = await o.resolveRuntime(runtimeName);
    if (!runtime) throw new NovaError('unavailable', `OCI runtime "${runtimeName}" is not installed or cannot run containers here (see nova host check)`);
    const userNamespace = decideUserNamespace(spec.name, spec.userNamespace, await o.userNamespaceSupport(runtime.path), spec.network !== undefined);
    const idMapping = mappingOf(userNamespace);
    await this.checkPlacement(spec);
    const image = await o.images.get(spec.image);
    // Images unpacked before this check existed are refused here, before anything is made.
    await checkRootfsShape(o.images.rootfsPath(image.id), image.name);
    const tmp = o.layout.scratchDir('creating', spec.name);
    // The first run's files are written now, as `podman create` does; a capsule on a
    // network gets them at start, once it has its place there.
    const input = await o.runFiles.configInput(spec, image, spec.network ? null : join(o.layout.dir(spec.name), 'etc'), false, idMapping);
    // Fails on a missing command before anything is made.
    buildOciConfig(input);
    const rootfsMode = await o.layers.rootfsMode();
    await o.layers.removeDir(tmp);
    op.onUndo(() => o.layers.removeDir(tmp));
    op.throwIfCancelled();
    op.progress({ phase: 'making the writable layer' });
    await mkdir(join(tmp, 'bundle'), { recursive: true, mode: 0o700 });
    await o.layers.make(tmp, rootfsMode);
    for (const d of ['etc', 'run', 'logs', 'snapshots']) await mkdir(join(tmp, d), { mode: 0o700 });
    if (idMapping) op.progress({ phase: 'unpacking the image for the user namespace', cancellable: false });
    const lower = idMapping ? await o.images.shiftedRootfs(image, idMapping) : o.images.rootfsPath(image.id);
    // The shifted root must reach its rootfs and /etc files; 0711 lets it pass, not list.
    if (idMapping) for (const d of [tmp, join(tmp, 'bundle'), join(tmp, 'etc')]) await chmod(d, 0o711);
    // overlay's `/` is the upper dir: it takes the image root's owner and mode.
    await matchOwner(join(tmp, 'upper'), lower);
    if (rootfsMode === 'copy') {
      op.progress({ phase: 'copying the image\'s root filesystem' });
      await o.runner.run({ argv: rt.copyTreeArgv(lower, join(tmp, 'bundle', 'rootfs')), timeoutMs: COPY_TIMEOUT_MS, signal: op.signal });
    }
    op.throwIfCancelled();
    op.progress({ phase: 'writing the bundle', cancellable: false });
    const firstRun = spec.network ? null : await o.runFiles.write(tmp, input, null, null);
    const rec: CapsuleRecord = {
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
    await writeRecord(CAPSULE_RECORD, join(tmp, 'capsule.json'), rec);
    await rename(tmp, o.layout.dir(spec.name));
    return { rec, prepared: { config: firstRun?.config ?? null, etc: firstRun?.etc ?? null, runDirEmpty: true } };
  }

  /**
   * The spec `change` makes of a capsule's, checked as create checks one. `state` is the
   * capsule's: only a stopped (or created) one takes any change; a running one takes a
   * change of its health check (its monitor is swapped) and of its autostart (read only
   * when the host boots), nothing else. The caller holds its lock.
   */
  async updatedSpec(rec: CapsuleRecord, change: CapsuleUpdateSpec, state: CapsuleState): Promise<CapsuleSpec> {
    const name = change.name;
    const takenLive = (k: string) => k === 'name' || k === 'health' || k === 'autostart';
    const healthOnly = Object.entries(change).every(([k, v]) => takenLive(k) || v === undefined);
    const live = state !== 'created' && state !== 'stopped';
    if (live && !healthOnly) {
      // Named as the person wrote them, so the refusal says which of their changes need the stop.
      const fields = Object.entries(change)
        .filter(([k, v]) => !takenLive(k) && v !== undefined)
        .map(([k]) => (k === 'memoryBytes' ? 'memory' : k));
      throw new NovaError(
        'failed_precondition',
        `Capsule "${name}" is ${state}: stop it before changing its ${fields.join(', ')} (they apply at its next start; only a health check and autostart change while it runs)`,
        { fields },
      );
    }
    const parsed = CapsuleSpecSchema.safeParse(applyCapsuleUpdate(rec.spec, change));
    if (!parsed.success) throw schemaError(`Capsule "${name}" cannot take this change`, parsed.error);
    if (live) this.checkHealth(parsed.data);
    else await this.checkUpdate(rec, parsed.data);
    return parsed.data;
  }

  /** A changed spec of a stopped capsule; its image, runtime and user namespace stay as they were made. */
  private async checkUpdate(rec: CapsuleRecord, spec: CapsuleSpec): Promise<void> {
    await this.checkPlacement(spec);
    const mapping = mappingOf(rec.userNamespace);
    if (mapping && spec.network && !rec.spec.network) {
      const runtime = await this.o.resolveRuntime(rec.runtime);
      const reason = runtime ? (await this.o.userNamespaceSupport(runtime.path)).networkReason : null;
      if (reason) throw new NovaError('unsupported', `Capsule "${spec.name}" runs in a user namespace, and here ${reason}: recreate it to join a network`);
    }
    // A user or command the image cannot give fails now, not at the next start.
    buildOciConfig(await this.o.runFiles.configInput(spec, await this.o.images.get(rec.imageId), null, false, mapping));
  }

  /** What the host must offer for the spec's limits, volumes, network, ports and health check. */
  private async checkPlacement(spec: CapsuleSpec): Promise<void> {
    const o = this.o;
    if (spec.ioWeight !== undefined && !(await this.ioWeightSupported())) {
      throw new NovaError('unsupported', 'This host offers no IO weight (no blkio.weight / io.weight: the block scheduler has no proportional weights); omit ioWeight');
    }
    for (const v of spec.volumes) await checkVolume(v, o.volumeRoots);
    if (spec.network) await o.networks.checkNetwork(spec.network, spec.ports);
    else if (spec.ports.length > 0 || spec.address !== undefined) {
      throw new NovaError('invalid_argument', `Capsule "${spec.name}" publishes ports or sets an address but joins no network: give it a Nova network`);
    }
    this.checkHealth(spec);
  }

  /** A health check the capsule cannot run (serial, tcp or http off a network, ...) is refused. */
  private checkHealth(spec: CapsuleSpec): void {
    const problem = spec.health ? healthCheckProblem('capsule', spec.health, spec.network !== undefined) : null;
    if (problem) throw new NovaError('invalid_argument', `Capsule "${spec.name}": ${problem}`);
  }

  private async ioWeightSupported(): Promise<boolean> {
    for (const f of ['blkio/blkio.weight', 'blkio/blkio.bfq.weight', 'io.weight', 'io.bfq.weight']) {
      if (await stat(join(this.o.cgroupRoot, f)).then(() => true, () => false)) return true;
    }
    return false;
  }
}
