// A start's shared folders: each folder opened and checked again for the user QEMU runs
// as (a folder gone since it was shared is a clear error before QEMU starts), and a
// virtiofsd started for each virtiofs share (virtiofsd.ts). 9p shares need no daemon:
// QEMU serves them. Stopping is by the VM's runtime dir, so a killed helper's daemons
// are found as well (VmRuntimeFiles calls stopIn with the rest of a run's cleanup).
import type { VmDefinition } from '../../../src-shared/vm.js';
import { shareTransport } from '../../../src-shared/vm-shares.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { PathGuard } from './path-guard.js';
import type { Credentials } from './run-as-user.js';
import { openShareFolder } from './shared-folders.js';
import { startVirtiofsd, stopVirtiofsdsIn, VIRTIOFSD, virtiofsdInstalled, virtiofsdPaths } from './virtiofsd.js';
import type { VmLayout } from './vm-layout.js';

export interface ShareDaemonOptions {
  guard: PathGuard;
  runner: ProcessRunner;
  layout: VmLayout;
  readyTimeoutMs: number;
  binary?: string;
}

export class ShareDaemons {
  constructor(private readonly o: ShareDaemonOptions) {}

  /** Whether new shares can be carried by virtiofs on this host. */
  available(): Promise<boolean> {
    return virtiofsdInstalled(this.o.binary ?? VIRTIOFSD);
  }

  /** Every share's folder checked; a virtiofsd for each virtiofs share. On failure, those started are stopped. */
  async start(def: VmDefinition, user: Credentials | null, signal: AbortSignal, phase: (p: string) => void): Promise<void> {
    const shares = def.shares ?? [];
    if (shares.length === 0) return;
    phase('opening the shared folders');
    const daemons = shares.filter((s) => shareTransport(s) === 'virtiofs');
    if (daemons.length > 0 && !(await this.available())) {
      throw new NovaError('unavailable', `VM ${def.name} shares folders through virtiofs, but ${this.o.binary ?? VIRTIOFSD} is not installed: install qemu-system-common, or share the folders again on a host without it (they then use 9p)`);
    }
    try {
      for (const share of shares) {
        const opened = await openShareFolder(def.name, share.source, this.o.guard, user);
        try {
          if (shareTransport(share) !== 'virtiofs') continue;
          if (signal.aborted) throw new NovaError('cancelled', `start of VM ${def.name} was cancelled`);
          phase(`starting virtiofsd for ${share.tag}`);
          const paths = virtiofsdPaths(this.o.layout.vmRunDir(def.name), this.o.layout.vmDir(def.name), share.tag);
          await startVirtiofsd({ share, opened: opened.stats, paths, runner: this.o.runner, user, readyTimeoutMs: this.o.readyTimeoutMs, signal, vmName: def.name });
        } finally {
          await opened.handle.close();
        }
      }
    } catch (err) {
      await this.stop(def.name);
      throw err;
    }
  }

  /** Stops every virtiofsd of the VM's runtime dir; returns their pids. */
  stop(name: string): Promise<number[]> {
    return stopVirtiofsdsIn(this.o.layout.vmRunDir(name));
  }
}
