// Capsules whose record cannot be read: kept by name so they are listed as broken, every
// verb but delete says so, the name is not taken again, and delete removes what can be
// found of them without the record: the container (by its id in Nova's runtime root, and
// every process left in its cgroup), the root filesystem's mount and the capsule's folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readdir, readFile, rename, rmdir } from 'node:fs/promises';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { BrokenResourceError, brokenFromError, brokenRecord } from '../state/broken-record.js';
import type { Logger } from '../util/logger.js';
import type { CapsuleLayers } from './capsule-layer.js';
import type { CapsuleLayout } from './capsule-layout.js';
import { KNOWN_RUNTIMES } from './capsule-provisioner.js';
import * as rt from './runtime-argv.js';

const RUNTIME_TIMEOUT_MS = 10_000;
const KILL_WAIT_MS = 5_000;

export interface BrokenCapsulesOptions {
  layout: CapsuleLayout;
  layers: CapsuleLayers;
  runner: Pick<ProcessRunner, 'run'>;
  /** Resolves a runtime name to its binary: each known one may have run it (the record said which). */
  resolveRuntime: (name: string) => Promise<{ path: string } | null>;
  logger: Logger;
  cgroupRoot?: string;
}

export class BrokenCapsules {
  private readonly byName = new Map<string, BrokenRecord>();

  constructor(private readonly o: BrokenCapsulesOptions) {}

  /** Quarantined, not dropped: listed as broken, its name kept until it is removed. Null, for the caller's record. */
  quarantine(name: string, file: string, err: unknown): null {
    const broken = brokenFromError(name, file, err) ?? brokenRecord(name, file, (err as Error).message);
    this.o.logger.error({ capsule: name, file, reason: broken.stateReason }, 'unreadable capsule record: listed as broken');
    this.byName.set(name, broken);
    return null;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  list(): BrokenRecord[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Throws BrokenResourceError when `name` is broken. */
  refuse(name: string): void {
    const broken = this.byName.get(name);
    if (broken) throw new BrokenResourceError('capsule', broken);
  }

  /** The container's cgroup in every hierarchy: what is still in it is killed, then the cgroups go. */
  private async emptyCgroups(name: string): Promise<void> {
    const root = this.o.cgroupRoot ?? '/sys/fs/cgroup';
    const dirs = (await readdir(root).catch(() => [] as string[])).map((c) => join(root, c, this.o.layout.cgroupsPath(name))).filter((d) => existsSync(d));
    const procsOf = async (d: string) => (await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    const deadline = Date.now() + KILL_WAIT_MS;
    for (;;) {
      const pids = [...new Set((await Promise.all(dirs.map(procsOf))).flat())];
      if (pids.length === 0 || Date.now() > deadline) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const d of dirs) await rmdir(d).catch((err: unknown) => this.o.logger.warn({ cgroup: d, err }, 'cannot remove the cgroup of a broken capsule'));
  }

  async remove(name: string): Promise<void> {
    const { layout, layers, runner } = this.o;
    const id = layout.containerId(name);
    if (existsSync(join(layout.runtimeRoot, id))) {
      for (const runtimeName of KNOWN_RUNTIMES) {
        const runtime = await this.o.resolveRuntime(runtimeName).catch(() => null);
        if (!runtime) continue;
        await runner.run({ argv: rt.killArgv(runtime.path, layout.runtimeRoot, id, 'SIGKILL', true), timeoutMs: RUNTIME_TIMEOUT_MS, allowFailure: true });
        await runner.run({ argv: rt.deleteArgv(runtime.path, layout.runtimeRoot, id), timeoutMs: RUNTIME_TIMEOUT_MS, allowFailure: true });
      }
    }
    await this.emptyCgroups(name);
    await layers.unmount(name, undefined);
    const doomed = layout.scratchDir('deleting', name);
    await layers.removeDir(doomed);
    if (existsSync(layout.dir(name))) await rename(layout.dir(name), doomed);
    await layers.removeDir(doomed);
    this.byName.delete(name);
  }
}
