// The app's Move dialog on main's side: runs the steps of `nova vm migrate` (vm-migration.ts
// for a running VM, guest-cold-move.ts for a stopped one) and of `nova capsule migrate
// --restart` between two of the app's own connections, this machine's helper or a saved
// host's link from the pool, and tells each step and the send's operation as
// `vm.moveProgress` / `capsule.moveProgress`. One move per guest and source at a time;
// cancelling aborts the send's operation, so the guest stays on the source as it was and the
// destination keeps nothing of it.
import { NovaError, isNovaError, toErrorShape } from '../../../src-shared/errors.js';
import type { CapsuleMoveReport } from '../../../src-shared/api/capsule-move-api.js';
import type { NovaEvent } from '../../../src-shared/api/events.js';
import type { ParamsIn, ParamsOf, ResultOf } from '../../../src-shared/api/nova-api.js';
import type { VmMoveReport, VmMoveStep } from '../../../src-shared/api/vm-move-api.js';
import type { Operation } from '../../../src-shared/operation.js';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';
import type { HelperClient } from '../helper-client.js';
import { moveCapsule, moveStoppedVm } from './guest-cold-move.js';
import type { HostRegistry } from './host-registry.js';
import { migrationListenAddress } from './migration-listen.js';
import { migrateVm, type MigrationStep } from './vm-migration.js';

/** What a move needs of a helper connection: calls, and the source's operation events. */
export type MoveClient = Pick<HelperClient, 'call' | 'onEvent'>;

export interface GuestMoveServiceDeps {
  /** This machine's helper. */
  readonly local: MoveClient;
  /** A saved host's connected client; absent when this app keeps no links to other hosts. */
  readonly remote?: (host: string) => Promise<MoveClient>;
  readonly publish: (event: NovaEvent) => void;
  readonly registry: HostRegistry;
}

type Guest = 'vm' | 'capsule';
type SendMethod = 'vm.migrateSend' | 'vm.moveSend' | 'capsule.moveSend';

/** What a move's body gets: both connections, the listen address, and how to tell and send. */
interface MoveContext {
  readonly source: MoveClient;
  readonly destination: MoveClient;
  readonly listen: string;
  tell(step: VmMoveStep): void;
  /** The source's send as an operation: its progress relayed, cancel aborting it. */
  send<M extends SendMethod>(method: M, params: ParamsIn<M>, what: string): Promise<ResultOf<M>>;
}

const STEP_OF: Record<MigrationStep, VmMoveStep> = { offer: 'checking', prepare: 'preparing', send: 'sending', finish: 'finishing' };
const NOUN: Record<Guest, string> = { vm: 'VM', capsule: 'Capsule' };

export class GuestMoveService {
  private readonly moves = new Map<string, AbortController>();

  constructor(private readonly deps: GuestMoveServiceDeps) {}

  /** A running VM moves live; a stopped one cold, its files copied, and stays stopped. */
  async moveVm(p: ParamsOf<'vm.move'>): Promise<VmMoveReport> {
    // Where the VM is if the move does not happen: a live one runs on, a stopped one stays.
    const remains = p.kind === 'live' ? 'runs on' : 'stays stopped on';
    return this.run('vm', p, remains, async (m) => {
      if (p.kind === 'live') {
        const result = await migrateVm(
          { source: m.source, destination: m.destination, step: (s) => m.tell(STEP_OF[s]), send: (params) => m.send('vm.migrateSend', params, 'disks and memory') },
          { name: p.name, listen: m.listen, postcopy: p.postcopy },
        );
        return { kind: 'live', ...result };
      }
      const result = await moveStoppedVm(
        { source: m.source, destination: m.destination, sendVm: (params) => coldSend(m, () => m.send('vm.moveSend', params, 'files')) },
        { name: p.name, listen: m.listen },
      );
      return { kind: 'cold', files: result.files, bytes: result.bytes, streamBytes: result.streamBytes, wallMs: result.wallMs };
    });
  }

  /** A capsule moves cold; a running one is stopped here and started there (or here again if the move fails). */
  async moveCapsule(p: ParamsOf<'capsule.move'>): Promise<CapsuleMoveReport> {
    return this.run('capsule', p, 'stays on', async (m) => {
      const result = await moveCapsule(
        { source: m.source, destination: m.destination, sendCapsule: (params) => coldSend(m, () => m.send('capsule.moveSend', params, 'files')) },
        { name: p.name, listen: m.listen, restart: true },
      );
      return { kind: 'cold', files: result.files, bytes: result.bytes, streamBytes: result.streamBytes, wallMs: result.wallMs, restarted: result.restarted };
    });
  }

  cancel(guest: Guest, name: string, from: string): { cancelled: boolean } {
    const controller = this.moves.get(moveKey(guest, from, name));
    if (!controller || controller.signal.aborted) return { cancelled: false };
    controller.abort();
    return { cancelled: true };
  }

  private async run<R>(guest: Guest, p: { name: string; from: string; to: string; listen?: string | undefined }, remains: string, body: (m: MoveContext) => Promise<R>): Promise<R> {
    const { name, from, to } = p;
    const noun = NOUN[guest];
    if (from === to) throw new NovaError('invalid_argument', `${noun} ${name} is already on ${hostWords(from)}: choose another host to move it to`);
    const key = moveKey(guest, from, name);
    if (this.moves.has(key)) throw new NovaError('locked', `${noun} ${name} is already being moved from ${hostWords(from)}; wait for it or cancel it`);
    const controller = new AbortController();
    this.moves.set(key, controller);
    let step: VmMoveStep = 'checking';
    const tell = (now: VmMoveStep, operation: Operation | null = null) => {
      step = now;
      const payload = { name, from, to, step: now, operation };
      this.deps.publish(guest === 'vm' ? { name: 'vm.moveProgress', payload } : { name: 'capsule.moveProgress', payload });
    };
    try {
      tell('checking');
      const listen = await migrationListenAddress(this.deps.registry, { to, from, ...(p.listen !== undefined ? { given: p.listen } : {}) });
      const source = await this.client(from);
      const destination = await this.client(to);
      const send = async <M extends SendMethod>(method: M, params: ParamsIn<M>, what: string): Promise<ResultOf<M>> => {
        if (controller.signal.aborted) throw new NovaError('cancelled', `The move of ${noun} ${name} was cancelled before its ${what} were sent`);
        let operationId: string | null = null;
        const off = source.onEvent((e) => {
          if (e.name === 'operation.changed' && e.payload.id === operationId) tell('sending', e.payload);
        });
        try {
          return await source.call(method, params, { signal: controller.signal, onOperation: (id) => (operationId = id) });
        } finally {
          off();
        }
      };
      const report = await body({ source, destination, listen, tell, send });
      tell('moved');
      return report;
    } catch (err) {
      const cancelled = controller.signal.aborted && isNovaError(err, 'cancelled');
      // Before the send nothing has moved: say so, since the refusal is the whole story.
      const nothingMoved = step === 'checking' || step === 'preparing';
      tell(cancelled ? 'cancelled' : 'failed');
      if (cancelled) throw new NovaError('cancelled', `The move of ${noun} ${name} was cancelled; it ${remains} ${hostWords(from)} as before`);
      const shape = toErrorShape(err);
      throw new NovaError(shape.code, nothingMoved ? `${shape.message} (nothing was moved; ${name} ${remains} ${hostWords(from)})` : shape.message, shape.details);
    } finally {
      this.moves.delete(key);
    }
  }

  private async client(host: string): Promise<MoveClient> {
    if (host === LOCAL_HOST) return this.deps.local;
    if (!this.deps.remote) throw new NovaError('unavailable', `This Nova keeps no connections to other hosts, so it cannot reach ${host}`);
    return this.deps.remote(host);
  }
}

/** A cold send: sending while it runs, then the destination checks what arrived. */
async function coldSend<T>(m: MoveContext, sending: () => Promise<T>): Promise<T> {
  m.tell('sending');
  const sent = await sending();
  m.tell('finishing');
  return sent;
}

function moveKey(guest: Guest, from: string, name: string): string {
  return `${guest}\n${from}\n${name}`;
}

function hostWords(host: string): string {
  return host === LOCAL_HOST ? 'this machine' : host;
}
