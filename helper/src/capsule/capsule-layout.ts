// Where everything of a capsule lives and what it is called outside Nova: its dir under
// STATE/capsules, its OCI container id, cgroup and network namespace, all derived from
// the name so a restarted helper finds them again.
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import { CAPSULE_NAME_PATTERN } from '../../../src-shared/capsule.js';

/**
 * Every path and id built from a capsule or snapshot name comes through here: the RPC
 * boundary has validated it already, and this makes sure no other caller can turn a
 * name into a path outside the capsule's folder.
 */
export function safeName(name: string, what = 'capsule'): string {
  if (!CAPSULE_NAME_PATTERN.test(name)) throw new NovaError('invalid_argument', `${JSON.stringify(name)} is not a valid ${what} name`);
  return name;
}

export interface CapsulePaths {
  dir: string;
  record: string;
  bundle: string;
  rootfs: string;
  upper: string;
  work: string;
  etc: string;
  /** The current run's files: the container's pid, the monitor's exit record, the runtime's log. */
  run: string;
  pidFile: string;
  /** conmon's exit record (the status, 128 + N for signal N). */
  exitFile: string;
  /** Written by conmon when the kernel reported an OOM kill to it. */
  oomFile: string;
  /** runc's own log (JSON lines): what it says when a container cannot start. */
  runtimeLog: string;
  /** The exit record of a run started by Nova's former C shim. */
  legacyExitFile: string;
  /** conmon's control fifo, in the bundle (`--full-attach`): log reopen requests. */
  controlFifo: string;
  logs: string;
  logFile: string;
  snapshots: string;
}

export class CapsuleLayout {
  /** STATE/capsules: one dir per capsule. */
  readonly root: string;
  /** The OCI runtime's state (`--root`), inside Nova's state dir rather than /run. */
  readonly runtimeRoot: string;

  constructor(
    stateDir: string,
    /** Container ids are PREFIX + name, so several Nova instances (tests) never collide. */
    readonly idPrefix = 'nova-',
    /** Parent cgroup of all capsules (cgroupfs path). */
    readonly cgroupParent = '/nova',
  ) {
    this.root = join(stateDir, 'capsules');
    this.runtimeRoot = join(stateDir, 'runc');
  }

  containerId(name: string): string {
    return `${this.idPrefix}${safeName(name)}`;
  }

  cgroupsPath(name: string): string {
    return `${this.cgroupParent}/${this.containerId(name)}`;
  }

  /** The capsule's named network namespace (`ip netns` names are at most 63 characters here). */
  netnsName(name: string): string {
    return this.containerId(name).slice(0, 63);
  }

  dir(name: string): string {
    return join(this.root, safeName(name));
  }

  /**
   * Where a run's volumes are bound while runc sets the capsule up (volume-staging.ts): in
   * the state dir, beside the capsule dirs rather than in one, so removing a capsule's dir
   * never walks into a volume.
   */
  volumesDir(name: string): string {
    return join(this.root, '.volumes', safeName(name));
  }

  /** The staging point of the capsule's volume number `index`: what its config.json binds. */
  volumePoint(name: string, index: number): string {
    return join(this.volumesDir(name), String(index));
  }

  /** A capsule dir being made (create) or taken apart (delete): hidden from the listing. */
  scratchDir(kind: 'creating' | 'deleting', name: string): string {
    return join(this.root, `.${kind}-${safeName(name)}`);
  }

  paths(name: string, dir = this.dir(name)): CapsulePaths {
    const run = join(dir, 'run');
    return {
      dir,
      record: join(dir, 'capsule.json'),
      bundle: join(dir, 'bundle'),
      rootfs: join(dir, 'bundle', 'rootfs'),
      upper: join(dir, 'upper'),
      work: join(dir, 'work'),
      etc: join(dir, 'etc'),
      run,
      pidFile: join(run, 'container.pid'),
      exitFile: join(run, 'exit'),
      oomFile: join(run, 'oom'),
      runtimeLog: join(run, 'runtime.log'),
      legacyExitFile: join(run, 'exit.json'),
      controlFifo: join(dir, 'bundle', 'ctl'),
      logs: join(dir, 'logs'),
      logFile: join(dir, 'logs', 'capsule.log'),
      snapshots: join(dir, 'snapshots'),
    };
  }
}
