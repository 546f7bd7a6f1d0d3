// Finding a running VM again after a helper restart: its runtime record names a pid, a
// start time and a QMP socket, and the QEMU counts as this VM's only when the pid is
// alive with that start time and its command line names the VM (as Proxmox and Incus
// check). A QEMU whose monitor does not answer within the deadline is killed: one the
// helper cannot control is worse than none. A damaged record of a running VM costs the
// guest nothing: the record is rebuilt from its one QEMU's command line and the VM
// adopted (runtime-record-rebuild.ts). QEMUs that no usable record names (a start the
// helper was killed in, a damaged record that cannot be rebuilt safely) are found by
// their command line and stopped: never two QEMUs for one VM.
import { copyFile, lstat, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../util/logger.js';
import { processCmdline } from '../util/proc-stat.js';
import type { VmRuntimePaths } from './qemu-argv.js';
import { expectQemuPeer, isQemuOfVm, killQemu, qemusOfVm, tailFile, waitForExit } from './qemu-process.js';
import { rebuildFromArgv, startedAtFrom } from './runtime-record-rebuild.js';
import type { StartIntents } from '../state/start-intent.js';
import { QmpClient } from './qmp-client.js';
import { VmRuntime, type VmRuntimeHooks } from './vm-runtime.js';
import type { VmRuntimeFiles } from './vm-runtime-files.js';
import { RUNTIME_RECORD_VERSION, type RuntimeRecord, type VmStore } from './vm-store.js';
import { nicNetworks } from './vm-network.js';

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
  store: Pick<VmStore, 'loadRuntime' | 'loadDefinition' | 'saveRuntime'>;
  files: Pick<VmRuntimeFiles, 'abandon'>;
  /** The VM's runtime record file (loadRuntime counts a damaged one as none) and its layout paths. */
  runtimeFile: string;
  paths: VmRuntimePaths;
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
  if (!record && (await lstat(o.runtimeFile).catch(() => null))) {
    const adopted = await adoptDamaged(name, o);
    if (adopted) return adopted;
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
export async function recoverRuntime(
  name: string,
  record: RuntimeRecord,
  o: RecoveryOptions,
  /** Run on the monitor before the runtime is made (a rebuilt record's new VNC password); a failure counts as QMP unreachable. */
  prepare?: (qmp: QmpClient) => Promise<void>,
): Promise<{ runtime: VmRuntime } | { crashReason: string }> {
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
    await prepare?.(qmp);
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

/**
 * A damaged runtime record while the VM's QEMU runs: with exactly one QEMU of the VM whose
 * command line matches the VM's layout, the record is rebuilt from it, a new VNC password
 * set over QMP, the record written and the VM adopted. The damaged file is copied aside
 * first (the rebuilt record replaces it atomically only once adopted, so a helper killed
 * in between tries again). Otherwise every QEMU of it is stopped and the VM is `crashed`
 * with the reason. Null when no QEMU of it runs (it is simply stopped).
 */
async function adoptDamaged(name: string, o: ReconcileOptions): Promise<{ runtime: VmRuntime } | { crashReason: string; record: RuntimeRecord } | null> {
  const qemus = await qemusOfVm(name, o.pidFile);
  if (qemus.length === 0) return null;
  const keptAs = `${o.runtimeFile}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await copyFile(o.runtimeFile, keptAs, constants.COPYFILE_EXCL);
  o.logger.warn({ vm: name, file: o.runtimeFile, keptAs }, 'the runtime record of a running VM is damaged; rebuilding it from its QEMU');
  const def = await o.store.loadDefinition(name).catch(() => null);
  const first = qemus[0]!;
  const argv = qemus.length === 1 ? await processCmdline(first.pid) : null;
  const rebuilt = argv ? rebuildFromArgv(argv, o.paths, name, def ? nicNetworks(def.nics) : []) : null;
  let why: string;
  if (qemus.length > 1) why = `${qemus.length} QEMUs of the VM run (pids ${qemus.map((q) => q.pid).join(', ')})`;
  else if (!rebuilt) why = `QEMU pid ${first.pid} ended while its command line was read`;
  else if (!rebuilt.ok) why = rebuilt.reason;
  else {
    const record: RuntimeRecord = {
      version: RUNTIME_RECORD_VERSION,
      pid: first.pid,
      startTime: first.startTime,
      startedAt: startedAtFrom(first.startTime, await readFile('/proc/stat', 'utf8')) ?? new Date().toISOString(),
      ...rebuilt.runtime,
      // The old password is lost with the record; a new one, never a guess.
      vncPassword: rebuilt.runtime.vncSocket ? randomBytes(6).toString('base64url').slice(0, 8) : null,
      crashed: null,
    };
    const found = await recoverRuntime(name, record, o, async (qmp) => {
      if (record.vncPassword) await qmp.setVncPassword(record.vncPassword);
    });
    if ('runtime' in found) {
      await o.store.saveRuntime(name, record);
      o.logger.warn({ vm: name, pid: record.pid, keptAs }, 'rebuilt the damaged runtime record and adopted the running VM');
      return found;
    }
    why = found.crashReason;
  }
  const crashReason = `its runtime record was damaged (kept as ${keptAs}) and could not be rebuilt safely: ${why}; its QEMU was stopped`;
  o.logger.error({ vm: name, reason: why, keptAs }, 'could not adopt a running VM whose runtime record is damaged; stopping its QEMU');
  await stopStrayQemus(name, o.pidFile, null, o.logger);
  await o.files.abandon(name, def, null);
  const accel = argv?.[argv.indexOf('-accel') + 1] === 'kvm' ? 'kvm' : 'tcg';
  const p = o.paths;
  const record: RuntimeRecord = { version: RUNTIME_RECORD_VERSION, pid: first.pid, startTime: first.startTime, startedAt: new Date().toISOString(), accel, qmpSocket: p.qmpSocket, serialSocket: p.serialSocket, serialLog: p.serialLog, vncSocket: null, vncWebsocketPort: null, vncPassword: null, spiceSocket: null, taps: [], cpuOff: [], crashed: null };
  return { crashReason, record };
}
