// Cold moves as the caller drives them: a stopped VM, or a capsule, from one helper to
// another. As for a live migration (vm-migration.ts), the caller holds an authorized
// connection to each helper and carries what one gives to the other; the files go from
// host to host over one TLS connection that the destination opens for this move only.
// Order: the source's offer (its refusals first), the destination's incoming (its own
// refusals, then its listener), the send, the destination's finish (it checks every file
// against the source's list, then makes the guest), and only then the source's copy
// removed. A failure at any step discards what arrived and leaves the guest where it was;
// a capsule stopped for the move (`restart`) runs again where it ends up.
import { NovaError } from '../../../src-shared/errors.js';
import type { MoveSent, MoveTarget } from '../../../src-shared/api/guest-move-api.js';
import type { Capsule } from '../../../src-shared/capsule.js';
import type { VmInfo } from '../../../src-shared/vm.js';
import type { HelperClient } from '../helper-client.js';

export interface ColdMovePeers {
  source: Pick<HelperClient, 'call'>;
  destination: Pick<HelperClient, 'call'>;
  /** The source's sends; the CLI passes ones that show progress and turn Ctrl+C into a cancel. */
  sendVm?: (params: { name: string; to: MoveTarget }) => Promise<MoveSent>;
  sendCapsule?: (params: { name: string; to: MoveTarget; sendImage: boolean }) => Promise<MoveSent>;
  /** Where the steps are told, one line each, and what a cleanup could not do. */
  note?: (line: string) => void;
}

export interface ColdMoveRequest {
  name: string;
  /** The destination's address as the source reaches it: it listens there for this move only. */
  listen: string;
}

export interface CapsuleMoveRequest extends ColdMoveRequest {
  /** A running capsule is stopped here first and started there afterwards (or here again if the move fails). */
  restart: boolean;
}

export interface ColdMoveReport {
  /** Files copied, their bytes (as the guest sees them) and the bytes on the wire (holes left out). */
  files: number;
  bytes: number;
  streamBytes: number;
  /** From the offer to the source's copy removed. */
  wallMs: number;
}

export interface VmColdMoveReport extends ColdMoveReport {
  vm: VmInfo;
  /** Disks sent as one image instead of an overlay and its backing file. */
  flattened: string[];
}

export interface CapsuleMoveReport extends ColdMoveReport {
  capsule: Capsule;
  imageSent: boolean;
  restarted: boolean;
}

export async function moveStoppedVm(peers: ColdMovePeers, req: ColdMoveRequest): Promise<VmColdMoveReport> {
  const { source, destination } = peers;
  const note = peers.note ?? (() => undefined);
  const started = Date.now();
  const { name } = req;
  const offer = await source.call('vm.moveOffer', { name });
  const flattened = offer.disks.filter((d) => d.flattened).map((d) => d.id);
  note(`${name}: stopped, so it moves cold: ${offer.disks.length} disk(s)${flattened.length ? ` (${flattened.join(', ')} flattened with its backing file)` : ''}${offer.carried.length ? `, ${offer.carried.join(' and ')}` : ''}`);
  const listener = await incoming(peers, 'vm', name, () => destination.call('vm.moveIncoming', { offer, listen: req.listen }));
  note(`destination waits on ${req.listen}:${listener.port} (TLS)`);
  const to: MoveTarget = { host: req.listen, port: listener.port, tls: listener.tls };
  const send = peers.sendVm ?? ((params) => source.call('vm.moveSend', params));
  const sent = await orDiscard(peers, 'vm', name, () => send({ name, to }));
  const vm = await orDiscard(peers, 'vm', name, () => destination.call('vm.moveFinish', { name, sent }));
  await source.call('vm.moveComplete', { name });
  return { ...totals(sent, started), vm, flattened };
}

export async function moveCapsule(peers: ColdMovePeers, req: CapsuleMoveRequest): Promise<CapsuleMoveReport> {
  const { source, destination } = peers;
  const note = peers.note ?? (() => undefined);
  const started = Date.now();
  const { name } = req;
  const before = await source.call('capsule.get', { name });
  const running = before.state === 'running' || before.state === 'paused' || before.state === 'restarting';
  if (running && !req.restart) throw new NovaError('failed_precondition', `Capsule "${name}" is running: stop it first, or move it with --restart to stop it here and start it there`);
  let stoppedHere = false;
  try {
    if (running) {
      note(`stopping ${name} here for the move`);
      await source.call('capsule.stop', { name });
      stoppedHere = true;
    }
    const offer = await source.call('capsule.moveOffer', { name });
    const listener = await incoming(peers, 'capsule', name, () => destination.call('capsule.moveIncoming', { offer, listen: req.listen }));
    note(`${name}: image ${offer.image.name} ${listener.sendImage ? 'is not on the destination: it is sent too' : 'is on the destination already'}; ${offer.volumes.length} volume(s); destination waits on ${req.listen}:${listener.port} (TLS)`);
    const to: MoveTarget = { host: req.listen, port: listener.port, tls: listener.tls };
    const send = peers.sendCapsule ?? ((params) => source.call('capsule.moveSend', params));
    const sent = await orDiscard(peers, 'capsule', name, () => send({ name, to, sendImage: listener.sendImage }));
    let capsule = await orDiscard(peers, 'capsule', name, () => destination.call('capsule.moveFinish', { name, sent }));
    await source.call('capsule.moveComplete', { name });
    stoppedHere = false;
    if (running) {
      note(`starting ${name} on the destination`);
      capsule = await destination.call('capsule.start', { name });
    }
    return { ...totals(sent, started), capsule, imageSent: listener.sendImage, restarted: running };
  } catch (err) {
    if (stoppedHere) await source.call('capsule.start', { name }).catch((startErr: unknown) => note(`could not start ${name} here again: ${(startErr as Error).message}`));
    throw err;
  }
}

async function incoming<T>(peers: ColdMovePeers, kind: 'vm' | 'capsule', name: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    // A connection lost (or an answer unread) after the destination began listening: it goes.
    // A refusal made nothing, and discard removes only a guest that is still arriving.
    await discard(peers, kind, name, () => undefined);
    throw err;
  }
}

async function orDiscard<T>(peers: ColdMovePeers, kind: 'vm' | 'capsule', name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    await discard(peers, kind, name, peers.note ?? (() => undefined));
    throw err;
  }
}

async function discard(peers: ColdMovePeers, kind: 'vm' | 'capsule', name: string, note: (line: string) => void): Promise<void> {
  const method = kind === 'vm' ? 'vm.moveDiscard' : 'capsule.moveDiscard';
  await peers.destination.call(method, { name }).catch((err: unknown) => note(`could not remove what the move left on the destination: ${(err as Error).message}`));
}

function totals(sent: MoveSent, started: number): ColdMoveReport {
  return { files: sent.files.length, bytes: sent.files.reduce((n, f) => n + f.bytes, 0), streamBytes: sent.streamBytes, wallMs: Date.now() - started };
}
