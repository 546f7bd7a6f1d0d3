// The capsule engine as the helper's composition root builds it: the image store, the
// capsule manager (runtime probed or named, conmon as every run's monitor, terminals in
// pty host processes when node-pty is installed) and the terminal sockets. Kept here so
// main.ts stays a list.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Capsule } from '../../../src-shared/capsule.js';
import { callerOf } from '../auth/peer-credentials.js';
import { CapsuleHealthWatch } from '../health/capsule-health.js';
import type { HealthRegistry } from '../health/health-registry.js';
import type { HostProbeEnv } from '../host-check/host-probe-env.js';
import type { OperationManager } from '../operations/operation-manager.js';
import { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import { CapsuleManager } from './capsule-manager.js';
import type { CapsuleNetworkPort } from './capsule-network.js';
import type { PtySpawn } from './capsule-terminals.js';
import { ImageStore } from './image-store.js';
import { ptyHostSpawn } from './pty-host-spawn.js';
import { runtimeResolver } from './runtime-resolver.js';
import { TerminalServer } from './terminal-server.js';
import { userNamespaceProber, type UserNamespaceSupport } from './user-namespace.js';

export const DEFAULT_VOLUME_ROOTS = ['/home', '/srv', '/var/lib/nova/volumes'];

export interface CapsuleEngineOptions {
  stateDir: string;
  runDir: string;
  /** `auto` or a runtime name (crun, runc); anything else makes construction fail. */
  runtime: string;
  volumeRoots: readonly string[];
  probeEnv: HostProbeEnv;
  logger: Logger;
  /** Pulls, imports, creates and snapshots run as operations; every capsule change holds its lock. */
  operations: OperationManager;
  /** Nova networks capsules may join (the NetworkManager behind networkManagerCapsulePort). */
  networks?: CapsuleNetworkPort;
  onChange?: (name: string, state: Capsule['state'] | 'deleted') => void;
  /** Where running capsules' health checks are kept; without it capsules report no health. */
  health?: HealthRegistry;
}

export interface CapsuleEngine {
  images: ImageStore;
  capsules: CapsuleManager;
  terminals: TerminalServer;
  /** Whether a runtime binary runs capsules in a user namespace here (probed once per binary). */
  userNamespaces: (runtimePath: string) => Promise<UserNamespaceSupport>;
  /** Reattaches to running capsules (CapsuleManager.recover) and resumes their health checks. */
  recover(): Promise<void>;
  /** Ends terminals and watching; capsules run on. Resolves once reaps under way are done. */
  close(): Promise<void>;
}

/**
 * Terminals run in pty host processes (pty-host.mjs beside the helper bundle), so node-pty,
 * a native addon, is never loaded into the helper itself. Without node-pty or the pty host
 * bundle there are no terminals, and openTerminal says so.
 */
export function loadPtySpawn(logger: Logger): PtySpawn | undefined {
  const modulePath = join(dirname(fileURLToPath(import.meta.url)), 'pty-host.mjs');
  try {
    createRequire(import.meta.url).resolve('node-pty');
  } catch (err) {
    logger.warn({ err }, 'node-pty is not installed: interactive capsule terminals are off');
    return undefined;
  }
  if (!existsSync(modulePath)) {
    logger.warn({ modulePath }, 'the pty host is missing beside the helper: interactive capsule terminals are off');
    return undefined;
  }
  return ptyHostSpawn({ modulePath, logger });
}

export function createCapsuleEngine(o: CapsuleEngineOptions): CapsuleEngine {
  const runner = new ProcessRunner();
  let capsules: CapsuleManager | null = null;
  // Probed on the first capsule create (or host check), then cached: user namespaces wherever the runtime allows.
  const userNamespaces = userNamespaceProber({
    runner,
    logger: o.logger,
    stateDir: o.stateDir,
    capsulesDir: join(o.stateDir, 'capsules'),
    cgroupParent: '/nova',
    idPrefix: 'nova-',
    procRoot: o.probeEnv.procRoot,
    etcRoot: o.probeEnv.etcRoot,
  });
  const healthWatch = o.health ? new CapsuleHealthWatch(o.health, () => capsules!, o.logger.child({ component: 'health' })) : null;
  const images = new ImageStore({ stateDir: o.stateDir, runner, operations: o.operations, isInUse: (id) => capsules?.isImageInUse(id) ?? true });
  capsules = new CapsuleManager({
    stateDir: o.stateDir,
    images,
    runner,
    operations: o.operations,
    logger: o.logger,
    runtime: o.runtime,
    resolveRuntime: runtimeResolver(o.probeEnv, userNamespaces),
    volumeRoots: o.volumeRoots,
    ptySpawn: loadPtySpawn(o.logger),
    userNamespaces,
    ...(o.networks ? { networks: o.networks } : {}),
    onChange: (name, state) => {
      healthWatch?.changed(name, state);
      o.onChange?.(name, state);
    },
    ...(o.health ? { healthOf: (name: string) => o.health!.health({ kind: 'capsule', name }) } : {}),
  });
  const terminals = new TerminalServer({
    dir: join(o.runDir, 'terminals'),
    logger: o.logger.child({ component: 'terminal' }),
    peerUid: async (socket) => (await callerOf(socket)).uid,
  });
  const manager = capsules;
  return {
    images,
    capsules: manager,
    terminals,
    userNamespaces,
    recover: async () => {
      await manager.recover();
      await healthWatch?.followAll();
    },
    close: async () => {
      terminals.closeAll();
      await manager.close();
    },
  };
}
