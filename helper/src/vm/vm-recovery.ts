// Finding a running VM again after a helper restart: its runtime record names a pid, a
// start time and a QMP socket, and the QEMU counts as this VM's only when the pid is
// alive with that start time and its command line names the VM (as Proxmox and Incus
// check). A QEMU whose monitor does not answer within the deadline is killed: one the
// helper cannot control is worse than none. QEMUs that no usable record names (a start the
// helper was killed in, a damaged record) are found by their command line and stopped:
// never two QEMUs for one VM.
import type { Logger } from '../util/logger.js';
import { expectQemuPeer, isQemuOfVm, killQemu, qemusOfVm, tailFile, waitForExit } from './qemu-process.js';
import type { StartIntents } from '../state/start-intent.js';
import { QmpClient } from './qmp-client.js';
import { VmRuntime, type VmRuntimeHooks } from './vm-runtime.js';
import type { VmRuntimeFiles } from './vm-runtime-files.js';
import type { RuntimeRecord, VmStore } from './vm-store.js';

/** How long a QEMU whose monitor failed may take to finish dying on its own. */
const DYING_WAIT_MS = 1_000;

export interface RecoveryOptions {
  hooks: VmRuntimeHooks;
  logger: Logger;
  qemuLog: string;
  qmpTimeoutMs: number;
  /** This helper's pidfile path for the VM, named on its QEMU's command line. */
  pidFile: string;
}

export interface ReconcileOptions extends RecoveryOptions {
  store: Pick<VmStore, 'loadRuntime' | 'loadDefinition'>;
  files: Pick<VmRuntimeFiles, 'abandon'>;
  intents: StartIntents;
}

/**
 * At helper start, one VM: a start left half done (its intent still there) is undone,
 * whatever it got to, and the VM is stopped; a VM whose record is gone or damaged keeps no
 * QEMU; a recorded one is adopted (or found crashed), and any other QEMU of it stopped.
 * Null when the VM is simply stopped.
 */
export async function reconcileVm(name: string, o: ReconcileOptions): Promise<{ runtime: VmRuntime } | { crashReason: string; record: RuntimeRecord } | null> {
  const record = await o.store.loadRuntime(name);
  const definition = () => o.store.loadDefinition(name).catch(() => null);
  if (await o.intents.pending('vm', name)) {
    const killed = await stopStrayQemus(name, o.pidFile, null, o.logger);
    await o.files.abandon(name, await definition(), record);
    await o.intents.end('vm', name);
    o.logger.warn({ vm: name, killed }, 'undid a start the previous helper did not finish: the VM is stopped');
    return null;
  }
  if (!record || record.crashed) {
    const killed = await stopStrayQemus(name, o.pidFile, null, o.logger);
    // A crashed record keeps its reason (its tap was given back when it crashed).
    if (killed.length > 0 && !record) await o.files.abandon(name, await definition(), null);
    return null;
  }
  const found = await recoverRuntime(name, record, o);
  await stopStrayQemus(name, o.pidFile, 'runtime' in found ? record.pid : null, o.logger);
  return 'runtime' in found ? found : { ...found, record };
}

/** The VM's runtime again, or why it counts as crashed. */
export async function recoverRuntime(name: string, record: RuntimeRecord, o: RecoveryOptions): Promise<{ runtime: VmRuntime } | { crashReason: string }> {
  if (!(await isQemuOfVm(record.pid, record.startTime, name, o.pidFile))) return gone(record, o);
  let qmp: QmpClient | null = null;
  try {
    qmp = await QmpClient.connect(record.qmpSocket, {
      timeoutMs: o.qmpTimeoutMs,
      label: `VM ${name}`,
      logger: o.logger.child({ vm: name, component: 'qmp' }),
      verifyPeer: expectQemuPeer(record.pid),
    });
    const status = await qmp.queryStatus();
    const initial = status.status === 'paused' ? 'paused' : 'running';
    o.logger.info({ vm: name, pid: record.pid }, 'reattached to running VM');
    return { runtime: new VmRuntime({ name, record, qmp, initial, hooks: o.hooks, logger: o.logger, qemuLog: o.qemuLog }) };
  } catch (err) {
    qmp?.close();
    // A QEMU that was dying as the helper came up drops its monitor too: that is no reason to kill.
    if (await waitForExit(record.pid, record.startTime, DYING_WAIT_MS)) return gone(record, o);
    o.logger.error({ err, vm: name }, 'cannot reach QMP of a running VM; killing it');
    await killQemu(record.pid, record.startTime).catch(() => undefined);
    return { crashReason: `QMP unreachable after helper restart (${(err as Error).message}); QEMU was killed` };
  }
}

async function gone(record: RuntimeRecord, o: RecoveryOptions): Promise<{ crashReason: string }> {
  const log = await tailFile(o.qemuLog, 3);
  return { crashReason: `QEMU (pid ${record.pid}) was gone when the helper started; log: ${log}` };
}

/**
 * Kills every QEMU of this VM except `keep` (the one its record names and the helper
 * adopts); returns the pids killed. For interrupted starts and records that are gone or
 * damaged, whose QEMU would otherwise run on unseen beside the next start's.
 */
export async function stopStrayQemus(name: string, pidFile: string, keep: number | null, logger: Logger): Promise<number[]> {
  const strays = (await qemusOfVm(name, pidFile)).filter((p) => p.pid !== keep);
  for (const p of strays) {
    logger.warn({ vm: name, pid: p.pid }, 'stopping a QEMU of this VM that no runtime record names');
    await killQemu(p.pid, p.startTime);
  }
  return strays.map((p) => p.pid);
}
