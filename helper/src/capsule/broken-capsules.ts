// Capsules whose record cannot be read: kept by name so they are listed as broken, every
// verb but delete says so, the name is not taken again, and delete removes what can be
// found of them without the record: the container (by its id in Nova's runtime root),
// the root filesystem's mount and the capsule's folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rename } from 'node:fs/promises';
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { BrokenResourceError, brokenFromError, brokenRecord } from '../state/broken-record.js';
import type { Logger } from '../util/logger.js';
import type { CapsuleLayers } from './capsule-layer.js';
import type { CapsuleLayout } from './capsule-layout.js';
import { KNOWN_RUNTIMES } from './capsule-provisioner.js';
import * as rt from './runtime-argv.js';

const RUNTIME_TIMEOUT_MS = 10_000;

export interface BrokenCapsulesOptions {
  layout: CapsuleLayout;
  layers: CapsuleLayers;
  runner: Pick<ProcessRunner, 'run'>;
  /** Resolves a runtime name to its binary: each known one may have run it (the record said which). */
  resolveRuntime: (name: string) => Promise<{ path: string } | null>;
  logger: Logger;
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

  async remove(name: string): Promise<void> {
    const { layout, layers, runner } = this.o;
    const id = layout.containerId(name);
    if (existsSync(join(layout.runtimeRoot, id))) {
      for (const name of KNOWN_RUNTIMES) {
        const runtime = await this.o.resolveRuntime(name).catch(() => null);
        if (runtime) await runner.run({ argv: rt.deleteArgv(runtime.path, layout.runtimeRoot, id), timeoutMs: RUNTIME_TIMEOUT_MS, allowFailure: true });
      }
    }
    await layers.unmount(name, undefined);
    const doomed = layout.scratchDir('deleting', name);
    await layers.removeDir(doomed);
    if (existsSync(layout.dir(name))) await rename(layout.dir(name), doomed);
    await layers.removeDir(doomed);
    this.byName.delete(name);
  }
}
