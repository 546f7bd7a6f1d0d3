// The app's Move dialog on main's side: runs the steps of `nova vm migrate` (vm-migration.ts)
// between two of the app's own connections, this machine's helper or a saved host's link
// from the pool, and tells each step and the send's operation as `vm.moveProgress`. One move
// per VM and source at a time; cancelling aborts the send's operation, so the VM goes on
// running on the source and the destination keeps nothing of it.
import { NovaError, isNovaError, toErrorShape } from '../../../src-shared/errors.js';
import type { NovaEvent } from '../../../src-shared/api/events.js';
import type { ParamsOf } from '../../../src-shared/api/nova-api.js';
import type { VmMoveReport, VmMoveStep } from '../../../src-shared/api/vm-move-api.js';
import type { Operation } from '../../../src-shared/operation.js';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';
import type { HelperClient } from '../helper-client.js';
import type { HostRegistry } from './host-registry.js';
import { migrationListenAddress } from './migration-listen.js';
import { migrateVm, type MigrationStep } from './vm-migration.js';

/** What a move needs of a helper connection: calls, and the source's operation events. */
export type MoveClient = Pick<HelperClient, 'call' | 'onEvent'>;

export interface VmMoveServiceDeps {
  /** This machine's helper. */
  readonly local: MoveClient;
  /** A saved host's connected client; absent when this app keeps no links to other hosts. */
  readonly remote?: (host: string) => Promise<MoveClient>;
  readonly publish: (event: NovaEvent) => void;
  readonly registry: HostRegistry;
}

const STEP_OF: Record<MigrationStep, VmMoveStep> = { offer: 'checking', prepare: 'preparing', send: 'sending', finish: 'finishing' };

export class VmMoveService {
  private readonly moves = new Map<string, AbortController>();

  constructor(private readonly deps: VmMoveServiceDeps) {}

  async move(p: ParamsOf<'vm.move'>): Promise<VmMoveReport> {
    const { name, from, to } = p;
    if (p.kind === 'cold') {
      throw new NovaError('unsupported', `VM ${name} would be moved stopped (a cold move), which this Nova cannot do yet: start it and move it while it runs`);
    }
    if (from === to) throw new NovaError('invalid_argument', `VM ${name} is already on ${hostWords(from)}: choose another host to move it to`);
    const key = moveKey(from, name);
    if (this.moves.has(key)) throw new NovaError('locked', `VM ${name} is already being moved from ${hostWords(from)}; wait for it or cancel it`);
    const controller = new AbortController();
    this.moves.set(key, controller);
    let step: VmMoveStep = 'checking';
    const tell = (now: VmMoveStep, operation: Operation | null = null) => {
      step = now;
      this.deps.publish({ name: 'vm.moveProgress', payload: { name, from, to, step: now, operation } });
    };
    try {
      tell('checking');
      const listen = await migrationListenAddress(this.deps.registry, { to, from, ...(p.listen !== undefined ? { given: p.listen } : {}) });
      const source = await this.client(from);
      const destination = await this.client(to);
      const report = await migrateVm(
        {
          source,
          destination,
          step: (s) => tell(STEP_OF[s]),
          send: async (params) => {
            if (controller.signal.aborted) throw new NovaError('cancelled', `The move of VM ${name} was cancelled before its disks and memory were sent`);
            let operationId: string | null = null;
            const off = source.onEvent((e) => {
              if (e.name === 'operation.changed' && e.payload.id === operationId) tell('sending', e.payload);
            });
            try {
              return await source.call('vm.migrateSend', params, { signal: controller.signal, onOperation: (id) => (operationId = id) });
            } finally {
              off();
            }
          },
        },
        { name, listen, postcopy: p.postcopy },
      );
      tell('moved');
      return report;
    } catch (err) {
      const cancelled = controller.signal.aborted && isNovaError(err, 'cancelled');
      // Before the send nothing has moved: say so, since the refusal is the whole story.
      const nothingMoved = step === 'checking' || step === 'preparing';
      tell(cancelled ? 'cancelled' : 'failed');
      if (cancelled) throw new NovaError('cancelled', `The move of VM ${name} was cancelled; it runs on ${hostWords(from)} as before`);
      const shape = toErrorShape(err);
      throw new NovaError(shape.code, nothingMoved ? `${shape.message} (nothing was moved; ${name} runs on ${hostWords(from)})` : shape.message, shape.details);
    } finally {
      this.moves.delete(key);
    }
  }

  cancel(name: string, from: string): { cancelled: boolean } {
    const controller = this.moves.get(moveKey(from, name));
    if (!controller || controller.signal.aborted) return { cancelled: false };
    controller.abort();
    return { cancelled: true };
  }

  private async client(host: string): Promise<MoveClient> {
    if (host === LOCAL_HOST) return this.deps.local;
    if (!this.deps.remote) throw new NovaError('unavailable', `This Nova keeps no connections to other hosts, so it cannot reach ${host}`);
    return this.deps.remote(host);
  }
}

function moveKey(from: string, name: string): string {
  return `${from}\n${name}`;
}

function hostWords(host: string): string {
  return host === LOCAL_HOST ? 'this machine' : host;
}
