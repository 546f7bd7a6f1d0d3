// The destination's side of a live migration: it checks the source's offer before making
// anything (the name is free, the VM's network, accelerator, machine type and files are
// here), then makes the VM's folder with empty disks of the same sizes and formats and
// starts an identical QEMU paused with `-incoming defer`. That QEMU listens only for this
// migration, on the address the caller reached this host by: an NBD server with the
// disks exported writable for the source's mirror, and the migration stream, both behind
// one-off TLS credentials that require the source's client certificate. The guest runs
// here only when the caller says the move is whole (finish); until then a discard removes
// everything the migration made. A marker in the VM's folder says it is still arriving,
// so only such a VM can be discarded, also by a helper that restarted meanwhile. An
// arriving VM is tied to the connection that prepared it (incoming-migration-guard.ts):
// if that connection closes before finish, the VM is discarded here even when its memory
// has all arrived, because the source's copy is whole and only the caller could know
// whether this one should run; the source's helper then resumes its copy.
import { lstat, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, isIP } from 'node:net';
import { join } from 'node:path';
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import type { MigrationClientTls, MigrationOffer } from '../../../src-shared/api/vm-migration-api.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import type { Requester } from '../operations/operation-manager.js';
import { cpuForIncoming, probeCpuFeatures } from './cpu-features.js';
import { resolvedMachineType } from './machine-type.js';
import type { MigrationHost } from './migration-host.js';
import { IncomingMigrationGuards, INCOMING_MIGRATION_IDLE_MS, type AbandonReason } from './incoming-migration-guard.js';
import { addCredentials, makeMigrationCredentials, MIGRATION_TLS_ID } from './migration-tls.js';
import type { QmpClient } from './qmp-client.js';
import { makeVmFolder } from './vm-runtime-files.js';

const MARKER = 'incoming-migration.json';
/** How long finish waits for this side to settle after the source completed, and how often it looks. */
const SETTLE_MS = 30_000;
const SETTLE_POLL_MS = 20;

export interface IncomingMigration {
  migrationPort: number;
  nbdPort: number;
  tls: MigrationClientTls;
}

const ABANDONED: Record<AbandonReason, string> = {
  'caller-gone': 'the connection that prepared it closed before it finished',
  idle: 'no migration data arrived for too long',
  'qemu-gone': 'its QEMU ended',
};

export class MigrationDestination {
  private readonly guards: IncomingMigrationGuards;

  constructor(
    private readonly host: MigrationHost,
    idleMs = INCOMING_MIGRATION_IDLE_MS,
  ) {
    this.guards = new IncomingMigrationGuards(idleMs, (name, reason) => this.abandon(name, reason));
  }

  async prepare(offer: MigrationOffer, listen: string, postcopy: boolean, requester: Requester & { caller: { uid: number; gid: number } }): Promise<IncomingMigration> {
    const incoming = await this.start(offer, listen, postcopy, requester);
    const rt = this.host.runtimeOf(offer.definition.name);
    if (rt) this.guards.watch(offer.definition.name, rt.record.pid, requester.onDisconnect);
    return incoming;
  }

  private async start(offer: MigrationOffer, listen: string, postcopy: boolean, requester: Requester & { caller: { uid: number; gid: number } }): Promise<IncomingMigration> {
    const name = offer.definition.name;
    const { host } = this;
    return host.operations.run({ kind: 'vm.migrateIncoming', resource: vmRef(name), title: 'incoming migration' }, requester, async (op) => {
      op.progress({ phase: 'checking what the VM needs here' });
      const { off: cpuOff } = await this.refuse(offer);
      op.throwIfCancelled();
      op.progress({ phase: 'creating the VM, its empty disks and one-off TLS credentials' });
      const dir = await makeVmFolder(host.layout, name);
      op.onUndo(async () => {
        await rm(dir, { recursive: true, force: true });
        await host.store.removeAll(name);
      });
      await writeFile(join(dir, MARKER), JSON.stringify({ since: new Date().toISOString() }) + '\n', { mode: 0o600 });
      const def = localDefinition(offer, dir);
      // Before QEMU starts, so the launcher keeps it rather than OVMF's blank template; the TPM starts with a fresh state folder, filled from the stream.
      if (offer.uefiVars !== undefined) await writeFile(host.layout.runtimePaths(name).uefiVars, Buffer.from(offer.uefiVars, 'base64'), { mode: 0o600, flag: 'wx' });
      // The disks and the credentials are made side by side: neither waits on the other.
      const disks = Promise.all(
        def.disks.map((d) => {
          const size = offer.disks.find((o) => o.id === d.id)!.virtualSize;
          return d.format === 'qcow2' ? host.createDisk(d.path, size, op.signal) : createRaw(d.path, size);
        }),
      );
      const credentials = makeMigrationCredentials(join(dir, 'migration-tls'), listen, host.runner, op.signal);
      const [made, tlsMade] = await Promise.allSettled([disks, credentials]);
      if (made.status === 'rejected') throw made.reason;
      if (tlsMade.status === 'rejected') throw tlsMade.reason;
      const tls = tlsMade.value;
      await host.store.saveDefinition(def);
      const [migrationPort, nbdPort] = [await freePort(listen), await freePort(listen)];
      const runAs = requester.caller.uid !== 0 ? { uid: requester.caller.uid, gid: requester.caller.gid } : null;
      // The guest runs on the accelerator it has now, whatever `auto` would pick here.
      await host.startIncoming({ ...def, accel: offer.accel }, runAs, {
        signal: op.signal,
        cpuOff,
        phase: (phase) => op.progress({ phase }),
        incoming: (qmp) => this.listen(qmp, def, { dir: join(dir, 'migration-tls'), listen, migrationPort, nbdPort, postcopy }),
      });
      return { migrationPort, nbdPort, tls };
    });
  }

  /** The migration arrived whole: the NBD server closes and the guest runs here. */
  async finish(name: string, requester: Requester): Promise<void> {
    await this.host.operations.exclusive([vmRef(name)], 'finishing the incoming migration', requester, async () => {
      await this.requireArriving(name);
      const rt = this.host.runtimeOf(name);
      if (!rt) throw new NovaError('failed_precondition', `VM ${name}'s QEMU is gone: the migration cannot finish here (discard it)`);
      const status = await arrivalSettled(rt.qmp);
      if (status !== 'completed') throw new NovaError('failed_precondition', `VM ${name}'s incoming migration is ${status ?? 'not started'}, not completed`);
      await rt.qmp.execute('nbd-server-stop').catch(() => undefined);
      await rt.qmp.execute('object-del', { id: MIGRATION_TLS_ID }).catch(() => undefined);
      // Held paused since its start (-S, no cont while incoming): it runs from here.
      await rt.resume();
      await rm(join(this.host.layout.vmDir(name), MARKER), { force: true });
      this.guards.release(name);
      await this.host.arrived(name, rt);
    });
  }

  /** A migration that failed or was cancelled: its QEMU, disks and folder go. */
  async discard(name: string, requester: Requester | null): Promise<void> {
    await this.host.operations.exclusive([vmRef(name)], 'discarding the incoming migration', requester, async () => {
      await this.requireArriving(name);
      this.guards.release(name);
      const def = await this.host.store.loadDefinition(name);
      const rt = this.host.runtimeOf(name);
      if (rt) {
        await rt.kill();
        await rt.ended;
      }
      await this.host.endIntent(name);
      await this.host.removeVm(def);
    });
  }

  /** Nobody will finish this arrival: it goes, unless a finish or discard got there first. */
  private async abandon(name: string, reason: AbandonReason): Promise<void> {
    this.host.logger.warn({ vm: name, reason }, `discarding an incoming migration: ${ABANDONED[reason]}`);
    await this.discard(name, null).catch((err: unknown) => {
      if (isNovaError(err, 'failed_precondition')) return;
      this.host.logger.error({ vm: name, err }, 'could not discard an abandoned incoming migration');
    });
  }

  private async requireArriving(name: string): Promise<void> {
    const marker = await readFile(join(this.host.layout.vmDir(name), MARKER), 'utf8').catch(() => null);
    if (marker === null) throw new NovaError('failed_precondition', `VM ${name} is not arriving by migration on this host`);
  }

  /** Everything that can refuse the move, before anything is made; else the CPU features the guest must not see here. */
  private async refuse(offer: MigrationOffer): Promise<{ off: string[] }> {
    const { host } = this;
    const def = offer.definition;
    if (await host.store.exists(def.name)) throw new NovaError('already_exists', `this host already has a VM named ${def.name}`);
    for (const nic of def.nics) {
      if (nic.network.mode !== 'nova') continue;
      const network = nic.network.network;
      await host.checkNetwork(network).catch((err: unknown) => {
        if (isNovaError(err, 'not_found')) {
          throw new NovaError('failed_precondition', `VM ${def.name} is on network ${network}, which this host does not have: create it here first`, { network });
        }
        throw err;
      });
    }
    // TCG runs anywhere; only a KVM guest needs this host's verdict (its first probe takes seconds).
    if (offer.accel === 'kvm' && (await host.hostAccelerator()) !== 'kvm') throw new NovaError('failed_precondition', `VM ${def.name} runs on KVM with the host's CPU model; this host has no usable KVM, so its CPU cannot be the same`);
    // An offer without features comes from a Nova that did not state them: the base model as before.
    const cpu = offer.cpuFeatures ? cpuForIncoming(def.name, offer.cpuFeatures, await probeCpuFeatures(host.runner, host.qemuBinary, offer.accel)) : { off: [] };
    const machine = await resolvedMachineType(host.runner, host.qemuBinary, def.machine);
    if (machine !== offer.machineType) {
      throw new NovaError('failed_precondition', `VM ${def.name} runs machine type ${offer.machineType}; this host's QEMU ${machine ? `has ${machine} for ${def.machine}` : `has no ${def.machine}`}: the two QEMU versions differ`);
    }
    const files = [def.kernel?.kernel, def.kernel?.initrd, def.iso, ...(def.cdroms ?? []).map((c) => c.path)].filter((f): f is string => typeof f === 'string');
    for (const f of files) {
      if (!(await lstat(f).catch(() => null))) throw new NovaError('failed_precondition', `VM ${def.name} uses ${f}, which this host does not have: put the same file there first`, { path: f });
    }
    return cpu;
  }

  /** Runs in the paused QEMU: server credentials, the NBD server with one writable export per disk, then the migration's listener. */
  private async listen(qmp: QmpClient, def: VmDefinition, o: { dir: string; listen: string; migrationPort: number; nbdPort: number; postcopy: boolean }): Promise<void> {
    try {
      await addCredentials(qmp, o.dir, 'server');
    } finally {
      await rm(o.dir, { recursive: true, force: true });
    }
    await qmp.execute('nbd-server-start', { addr: { type: 'inet', data: { host: o.listen, port: String(o.nbdPort) } }, 'tls-creds': MIGRATION_TLS_ID });
    for (const d of def.disks) {
      await qmp.execute('block-export-add', { type: 'nbd', id: `migration-${d.id}`, 'node-name': d.id, name: d.id, writable: true });
    }
    await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'postcopy-ram', state: o.postcopy }] });
    await qmp.execute('migrate-set-parameters', { 'tls-creds': MIGRATION_TLS_ID });
    await qmp.execute('migrate-incoming', { uri: `tcp:${uriHost(o.listen)}:${o.migrationPort}` });
  }
}

/**
 * The incoming side's state once it settles: the source says completed when the last byte is
 * sent, and this side a moment later, once it has loaded the device state.
 */
async function arrivalSettled(qmp: QmpClient): Promise<string | undefined> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const { status } = await qmp.execute<{ status?: string }>('query-migrate');
    if (status !== 'active' && status !== 'setup') return status;
    if (Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** The offer's definition as this host keeps it: every disk a file of its own in the VM's folder. */
function localDefinition(offer: MigrationOffer, dir: string): VmDefinition {
  const def = offer.definition;
  const disks: VmDisk[] = def.disks.map((d) => ({ ...d, path: join(dir, `${d.id}.${d.format}`), owned: true, readOnly: false }));
  // Started at boot as a user of the source host: that uid means nothing here.
  const { autostart, ...rest } = def;
  return { ...rest, disks, ...(autostart ? { autostart: { order: autostart.order, delaySeconds: autostart.delaySeconds } } : {}) };
}

async function createRaw(path: string, size: number): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}

function uriHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** A port free now on the address QEMU will listen on; QEMU takes it a moment later. */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err) => reject(new NovaError('invalid_argument', `this host cannot listen on ${host}: ${err.message}`)));
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function vmRef(name: string): ResourceRef {
  return { kind: 'vm', name };
}
