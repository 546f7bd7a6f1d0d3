// A stopped VM moving to another host, both sides. The source's offer refuses what cannot
// move (a running or suspended VM, host devices, snapshots of a disk it must flatten) and
// lists the disks; its send streams every disk (a qcow2 over a backing file flattened into
// one image first), the UEFI variables, the TPM state and the snapshots' firmware state to
// the destination (move/move-sender.ts) while reading each file's checksum. The destination checks the offer before making anything, receives
// into a hidden staging folder, and makes the VM (its folder and definition) only once
// every file matches the source's list. The source's copy goes only when the caller says
// the destination has it whole, and only if the VM was sent and not started since.
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NovaError, isNovaError } from '../../../src-shared/errors.js';
import type { MoveListener, MoveSent, MoveTarget, VmMoveOffer } from '../../../src-shared/api/guest-move-api.js';
import type { ResourceRef } from '../../../src-shared/operation.js';
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';
import { isUefi } from '../../../src-shared/vm-platform.js';
import type { OperationHandle, Requester } from '../operations/operation-manager.js';
import { arrivedFiles, STAGING_PREFIX, type MoveArrivals } from '../move/move-arrivals.js';
import { requireWhole } from '../move/file-manifest.js';
import { sendAndList } from '../move/send-step.js';
import type { MovePart } from '../move/move-stream.js';
import { resolvedMachineType } from './machine-type.js';
import type { MigrationHost } from './migration-host.js';
import { unmovableReasons } from './migration-source.js';

/** The send has told the destination everything by the time the caller asks it to finish. */
const RECEIVED_WAIT_MS = 60_000;
const CREDENTIALS_TIMEOUT_MS = 60_000;
const NVRAM = 'OVMF_VARS.fd';
const TPM = 'tpm';
/** Each snapshot's NVRAM and TPM state (firmware-state.ts); the disks' own snapshots are inside the qcow2 files. */
const FIRMWARE_SNAPSHOTS = 'firmware-snapshots';

export class VmColdMove {
  /** VMs sent from here, with the modification times of what was sent: complete removes only a VM still as it was sent. */
  private readonly sent = new Map<string, string>();
  /** What each arriving VM's source offered, kept for its finish. */
  private readonly offers = new Map<string, VmMoveOffer>();

  constructor(
    private readonly host: MigrationHost,
    private readonly arrivals: MoveArrivals,
  ) {}

  // ---- source ----

  async offer(name: string, requester: Requester): Promise<VmMoveOffer> {
    return this.host.operations.exclusive([vmRef(name)], 'preparing a move', requester, async () => {
      const def = await this.host.store.loadDefinition(name);
      await this.refuseUnmovable(def);
      const disks = [];
      for (const d of def.disks) {
        disks.push({ id: d.id, format: d.format, virtualSize: await this.host.diskSize(def, d), flattened: d.format === 'qcow2' && (await this.host.backingDepth(def, d)) > 0 });
      }
      const snapshots = await this.host.store.loadSnapshots(name);
      refuseLostSnapshots(name, snapshots.snapshots.length, disks.filter((d) => d.flattened).map((d) => d.id));
      const carried = [
        ...(isUefi(def.firmware) ? ['UEFI variables'] : []),
        ...(def.tpm ? ['TPM state'] : []),
        ...(snapshots.snapshots.length > 0 ? [`${snapshots.snapshots.length} snapshot(s)`] : []),
      ];
      return { definition: def, disks, carried, snapshots };
    });
  }

  async send(name: string, to: MoveTarget, requester: Requester): Promise<MoveSent> {
    const spec = { kind: 'vm.moveSend', resource: vmRef(name), title: `move to ${to.host}` } as const;
    return this.host.operations.run(spec, requester, async (op) => {
      op.progress({ phase: 'reading the disks', cancellable: true });
      const def = await this.host.store.loadDefinition(name);
      await this.refuseUnmovable(def);
      const flattened: string[] = [];
      for (const d of def.disks) if (d.format === 'qcow2' && (await this.host.backingDepth(def, d, op.signal)) > 0) flattened.push(d.id);
      refuseLostSnapshots(name, (await this.host.store.loadSnapshots(name)).snapshots.length, flattened);
      const outgoing = join(this.host.layout.vmDir(name), '.outgoing');
      await rm(outgoing, { recursive: true, force: true });
      try {
        const parts = await this.parts(def, outgoing, op);
        const result = await sendAndList(this.host.runner, parts, to, op);
        this.sent.set(name, await modified(def, this.host.layout.vmDir(name)));
        return result;
      } finally {
        await rm(outgoing, { recursive: true, force: true });
      }
    });
  }

  async complete(name: string, requester: Requester): Promise<void> {
    await this.host.operations.exclusive([vmRef(name)], 'removing the moved VM', requester, async () => {
      const sent = this.sent.get(name);
      if (sent === undefined) throw new NovaError('failed_precondition', `VM ${name} was not sent to another host by a move from here: nothing is removed`);
      const def = await this.host.store.loadDefinition(name);
      if (this.host.runtimeOf(name) || (await modified(def, this.host.layout.vmDir(name))) !== sent) {
        throw new NovaError('failed_precondition', `VM ${name} was started or changed here after it was sent: nothing is removed`);
      }
      await this.host.removeVm(def);
      this.sent.delete(name);
    });
  }

  private async refuseUnmovable(def: VmDefinition): Promise<void> {
    const name = def.name;
    if (this.host.runtimeOf(name)) throw new NovaError('failed_precondition', `VM ${name} is running: a cold move takes a stopped VM (nova vm migrate moves a running one live)`);
    if (await this.host.isSuspended(name)) throw new NovaError('failed_precondition', `VM ${name} is suspended: its saved state does not move; resume it and shut it down first`);
    const reasons = unmovableReasons(def, 'cold');
    if (reasons.length > 0) throw new NovaError('failed_precondition', `VM ${name} cannot move to another host: ${reasons.join('; ')}`, { reasons });
    this.sent.delete(name);
  }

  /** What goes, each under the name it has in the destination's VM folder. */
  private async parts(def: VmDefinition, outgoing: string, op: OperationHandle): Promise<MovePart[]> {
    const parts: MovePart[] = [];
    const dir = this.host.layout.vmDir(def.name);
    for (const d of def.disks) {
      const as = diskFileName(d);
      if (d.format === 'qcow2' && (await this.host.backingDepth(def, d, op.signal)) > 0) {
        op.progress({ phase: `flattening ${d.id} with its backing file` });
        await mkdir(outgoing, { recursive: true, mode: 0o700 });
        await this.host.flattenDisk(def, d, join(outgoing, as), op.signal);
        parts.push({ dir: outgoing, entry: as, as });
      } else {
        parts.push({ dir: dirname(d.path), entry: basename(d.path), as });
      }
    }
    if (isUefi(def.firmware) && (await lstat(join(dir, NVRAM)).catch(() => null))?.isFile()) parts.push({ dir, entry: NVRAM, as: NVRAM });
    if (def.tpm && (await lstat(join(dir, TPM)).catch(() => null))?.isDirectory()) parts.push({ dir, entry: TPM, as: TPM });
    if ((await lstat(join(dir, FIRMWARE_SNAPSHOTS)).catch(() => null))?.isDirectory()) parts.push({ dir, entry: FIRMWARE_SNAPSHOTS, as: FIRMWARE_SNAPSHOTS });
    return parts;
  }

  // ---- destination ----

  async incoming(offer: VmMoveOffer, listen: string, requester: Requester): Promise<MoveListener> {
    const name = offer.definition.name;
    return this.host.operations.exclusive([vmRef(name)], 'preparing an incoming move', requester, async () => {
      await this.refuseOffer(offer);
      const listener = await this.arrivals.open(arrivalKey(name), this.staging(name), listen, AbortSignal.timeout(CREDENTIALS_TIMEOUT_MS));
      this.offers.set(name, offer);
      return listener;
    });
  }

  async finish(name: string, sent: MoveSent, requester: Requester): Promise<void> {
    await this.host.operations.exclusive([vmRef(name)], 'finishing the incoming move', requester, async () => {
      const offer = this.offers.get(name);
      if (!offer) throw new NovaError('failed_precondition', `VM ${name} is not arriving by a move on this host`);
      const staging = await this.arrivals.received(arrivalKey(name), RECEIVED_WAIT_MS);
      requireWhole(`VM ${name}`, sent.files, await arrivedFiles(staging));
      for (const d of offer.disks) {
        const file = join(staging, `${d.id}.${d.format}`);
        if (!(await lstat(file).catch(() => null))?.isFile()) throw new NovaError('failed_precondition', `VM ${name}'s disk ${d.id} did not arrive`);
      }
      if (await this.host.store.exists(name)) throw new NovaError('already_exists', `this host has a VM named ${name} since the move began`);
      const dir = this.host.layout.vmDir(name);
      await rm(join(staging, '.arriving'), { force: true });
      await rename(staging, dir).catch((err: NodeJS.ErrnoException) => {
        throw new NovaError('already_exists', `the folder ${dir} is in the way of the arriving VM (${err.code ?? err.message}): move its files away and remove it`, { path: dir });
      });
      try {
        if (offer.snapshots.snapshots.length > 0) await this.host.store.saveSnapshots(name, offer.snapshots);
        await this.host.store.saveDefinition(arrivedDefinition(offer, dir));
      } catch (err) {
        await this.host.store.removeAll(name).catch(() => undefined);
        await rename(dir, staging).catch(() => undefined);
        throw err;
      }
      this.offers.delete(name);
      await this.arrivals.settled(arrivalKey(name));
      this.host.arrivedStopped(name);
    });
  }

  async discard(name: string, requester: Requester): Promise<void> {
    await this.host.operations.exclusive([vmRef(name)], 'discarding the incoming move', requester, async () => {
      await this.arrivals.discard(arrivalKey(name));
      this.offers.delete(name);
    });
  }

  private staging(name: string): string {
    return join(this.host.layout.vmsDir, `${STAGING_PREFIX}${name}`);
  }

  /** Everything that can refuse the move, before anything is made. */
  private async refuseOffer(offer: VmMoveOffer): Promise<void> {
    const { host } = this;
    const def = offer.definition;
    if (await host.store.exists(def.name)) throw new NovaError('already_exists', `this host already has a VM named ${def.name}`);
    if (this.arrivals.has(arrivalKey(def.name))) throw new NovaError('locked', `VM ${def.name} is already arriving here from another host`);
    for (const nic of def.nics) {
      if (nic.network.mode !== 'nova') continue;
      const network = nic.network.network;
      await host.checkNetwork(network).catch((err: unknown) => {
        if (isNovaError(err, 'not_found')) throw new NovaError('failed_precondition', `VM ${def.name} is on network ${network}, which this host does not have: create it here first`, { network });
        throw err;
      });
    }
    if ((await resolvedMachineType(host.runner, host.qemuBinary, def.machine)) === null) throw new NovaError('failed_precondition', `VM ${def.name} runs machine type ${def.machine}, which this host's QEMU does not have`);
    const files = [def.kernel?.kernel, def.kernel?.initrd, def.iso, ...(def.cdroms ?? []).map((c) => c.path)].filter((f): f is string => typeof f === 'string');
    for (const f of files) {
      if (!(await lstat(f).catch(() => null))) throw new NovaError('failed_precondition', `VM ${def.name} uses ${f}, which this host does not have: put the same file there first`, { path: f });
    }
    const names = new Set(offer.disks.map((d) => d.id));
    if (names.size !== def.disks.length || def.disks.some((d) => !names.has(d.id))) throw new NovaError('invalid_argument', `the offer for VM ${def.name} does not list each of its disks once`);
  }
}

/** The source's definition as this host keeps it: every disk a file of its own in the VM's folder. */
export function arrivedDefinition(offer: VmMoveOffer, dir: string): VmDefinition {
  const def = offer.definition;
  const disks: VmDisk[] = def.disks.map((d) => ({ ...d, path: join(dir, diskFileName(d)), owned: true }));
  // Started at boot as a user of the source host: that uid means nothing here.
  const { autostart, ...rest } = def;
  return { ...rest, disks, ...(autostart ? { autostart: { order: autostart.order, delaySeconds: autostart.delaySeconds } } : {}) };
}

/** Flattening copies a disk's data without its internal snapshots: a VM keeps them only where no disk needs it. */
function refuseLostSnapshots(name: string, snapshots: number, flattened: readonly string[]): void {
  if (snapshots === 0 || flattened.length === 0) return;
  throw new NovaError('failed_precondition', `VM ${name} cannot move to another host: it has ${snapshots} snapshot(s), and ${flattened.join(', ')} lies over a backing file, which a move flattens into one image without them: delete the snapshots first`);
}

/** When each of the VM's disks and firmware files last changed: a start or a write after the send shows here. */
async function modified(def: VmDefinition, dir: string): Promise<string> {
  const paths = [...def.disks.map((d) => d.path), join(dir, NVRAM), join(dir, TPM)];
  const times = await Promise.all(paths.map(async (p) => (await lstat(p).catch(() => null))?.mtimeMs ?? null));
  return JSON.stringify(times);
}

function diskFileName(d: Pick<VmDisk, 'id' | 'format'>): string {
  return `${d.id}.${d.format}`;
}

function arrivalKey(name: string): string {
  return `vm/${name}`;
}

function vmRef(name: string): ResourceRef {
  return { kind: 'vm', name };
}
