// The part of the VM engine a live migration works with (VmManager.migrationHost): its
// lock table, records and runtimes, and a start that holds the guest paused for an
// incoming migration. Kept narrow so the migration's two sides need no more of the manager.
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import type { OperationManager } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import type { QmpClient } from './qmp-client.js';
import type { Credentials } from './run-as-user.js';
import type { VmLayout } from './vm-layout.js';
import type { VmRuntime } from './vm-runtime.js';
import type { VmStore } from './vm-store.js';

export interface IncomingSteps {
  signal: AbortSignal;
  phase: (phase: string) => void;
  /** Runs once QEMU waits with `-incoming defer`: credentials, NBD server, `migrate-incoming`. */
  incoming: (qmp: QmpClient) => Promise<void>;
  /** The CPU features this host has and the guest did not: turned off (cpu-features.ts). */
  cpuOff: readonly string[];
}

export interface MigrationHost {
  readonly layout: VmLayout;
  readonly store: VmStore;
  readonly operations: OperationManager;
  readonly hostAccelerator: () => Promise<'kvm' | 'tcg'>;
  readonly qemuBinary: string;
  readonly runner: ProcessRunner;
  readonly logger: Logger;
  runtimeOf(name: string): VmRuntime | null;
  /** Throws not_found when this host has no such network. */
  checkNetwork(network: string): Promise<void>;
  diskSize(def: VmDefinition, disk: VmDisk, signal?: AbortSignal): Promise<number>;
  createDisk(path: string, sizeBytes: number, signal?: AbortSignal): Promise<void>;
  /** QEMU started as the launcher starts it, left paused with its start intent kept. */
  startIncoming(def: VmDefinition, runAs: Credentials | null, steps: IncomingSteps): Promise<VmRuntime>;
  /** The guest runs here now: its start intent ends and the engine watches it as any started VM. */
  arrived(name: string, runtime: VmRuntime): Promise<void>;
  endIntent(name: string): Promise<void>;
  /** The VM's folder (with its own disks), run dir and records go. */
  removeVm(def: VmDefinition): Promise<void>;
  /** How many backing files a disk's chain has (its header checked as a start checks it). */
  backingDepth(def: VmDefinition, disk: VmDisk, signal?: AbortSignal): Promise<number>;
  /** The disk's whole chain copied into one qcow2 at `out`, a file of its own. */
  flattenDisk(def: VmDefinition, disk: VmDisk, out: string, signal: AbortSignal): Promise<void>;
  /** Whether the VM has a saved (suspended) state. */
  isSuspended(name: string): Promise<boolean>;
  /** A VM whose definition was just written here by a move: announced as any new VM. */
  arrivedStopped(name: string): void;
}
