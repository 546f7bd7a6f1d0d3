// The helper calls that carry out one planned change to a VM or capsule: create, update
// in place (settings of a stopped guest, a stopped or paused guest brought back), update
// with restart (stop, change, start), replace (delete, create) and delete. A guest that
// is restarted or replaced is snapshotted first when its policy says `before_up`.
import type { ResourceChange } from '../../../src-shared/project.js';
import type { Capsule, CapsuleUpdateSpecIn } from '../../../src-shared/capsule.js';
import type { VmInfo } from '../../../src-shared/vm.js';
import { isNovaError } from '../../../src-shared/errors.js';
import { vmUpdateSpec } from '../novafile-apply.js';
import { lifecycleUpdate } from './vm-lifecycle-model.js';
import type { DesiredCapsule, DesiredVm } from './desired-state.js';
import type { ProjectHelper } from './project-helper.js';

export interface StepContext {
  h: ProjectHelper;
  /** One line of progress about this guest ("created", "stopping"). */
  say: (line: string) => void;
  throwIfCancelled: () => void;
  /** Seconds a guest gets to stop on its own before it is stopped hard. */
  stopTimeoutSec: number;
  now: () => Date;
}

/** "before-up-20261206-103512": sorts by time, and fits every snapshot name pattern. */
export function beforeUpSnapshotName(at: Date): string {
  const iso = at.toISOString();
  return `before-up-${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

const STOPPING = ['running', 'paused', 'starting', 'stopping'];

export async function applyVmChange(change: ResourceChange, d: DesiredVm | null, have: VmInfo | null, ctx: StepContext): Promise<void> {
  const { h, say } = ctx;
  const name = change.name;
  const subject = `vm ${name}`;
  const snapshotFirst = async () => {
    if (!have || !d?.config.snapshots?.beforeUp) return;
    const snapshot = beforeUpSnapshotName(ctx.now());
    say(`snapshot ${snapshot} before the ${change.class === 'replace' ? 'replacement' : 'restart'}`);
    await h.operation('vm.snapshotCreate', { name, snapshot, description: 'taken by nova up before changing this VM' }, subject);
  };
  const stop = async () => {
    if (!have || !STOPPING.includes(have.state)) return;
    say('stopping');
    await h.operation('vm.stop', { name, timeoutMs: ctx.stopTimeoutSec * 1000 }, subject);
  };
  const create = async () => {
    say('creating');
    await h.operation('vm.create', need(d).input, subject);
    ctx.throwIfCancelled();
    // vm.create takes no shares, autostart or restart policy: the file's are set before the first start.
    const lifecycle = lifecycleUpdate(need(d).config, null);
    if (Object.keys(lifecycle).length > 0) {
      say(`setting ${Object.keys(lifecycle).join(', ')}`);
      await h.call('vm.update', { name, ...lifecycle });
    }
    say('starting');
    await h.operation('vm.start', { name }, subject);
  };
  switch (change.class) {
    case 'create':
      return create();
    case 'delete':
      say('deleting');
      await h.operation('vm.delete', { name, force: true }, subject);
      return;
    case 'replace':
      await snapshotFirst();
      say('deleting to recreate');
      await h.operation('vm.delete', { name, force: true }, subject);
      ctx.throwIfCancelled();
      return create();
    case 'restart':
    case 'update': {
      if (!have) return create();
      if (change.class === 'restart') {
        await snapshotFirst();
        await stop();
      }
      const patch = vmUpdateSpec(need(d).config, have.definition);
      const stopped = change.class === 'restart' || !STOPPING.includes(have.state);
      if (patch && (stopped || takenLive(change))) {
        say(`updating ${change.fields.filter((f) => f.field !== 'state').map((f) => f.field).join(', ') || 'settings'}`);
        await h.call('vm.update', patch);
      }
      ctx.throwIfCancelled();
      if (have.state === 'paused' && change.class === 'update') {
        say('resuming');
        await h.call('vm.resume', { name });
      } else if (stopped || have.state === 'crashed') {
        say('starting');
        await h.operation('vm.start', { name }, subject);
      }
      return;
    }
  }
}

export async function applyCapsuleChange(change: ResourceChange, d: DesiredCapsule | null, have: Capsule | null, ctx: StepContext): Promise<void> {
  const { h, say } = ctx;
  const name = change.name;
  const subject = `capsule ${name}`;
  const running = have !== null && ['running', 'paused', 'restarting'].includes(have.state);
  const snapshotFirst = async () => {
    if (!have || !d?.config.snapshots?.beforeUp) return;
    const snapshot = beforeUpSnapshotName(ctx.now());
    say(`snapshot ${snapshot} before the ${change.class === 'replace' ? 'replacement' : 'restart'}`);
    await h.operation('capsule.snapshotCreate', { name, snapshot }, subject);
  };
  const create = async () => {
    const spec = need(d).input;
    const image = need(d).spec.image;
    const haveImage = await h.call('ociImage.inspect', { name: image }).then(
      () => true,
      (err: unknown) => (isNovaError(err, 'not_found') ? false : Promise.reject(err)),
    );
    if (!haveImage) {
      say(`pulling ${image}`);
      await h.operation('ociImage.pull', { reference: image }, subject);
      ctx.throwIfCancelled();
    }
    say('creating');
    await h.operation('capsule.create', spec, subject);
    ctx.throwIfCancelled();
    say('starting');
    await h.operation('capsule.start', { name }, subject);
  };
  const recreate = async () => {
    say('deleting to recreate');
    await h.operation('capsule.delete', { name, force: true }, subject);
    ctx.throwIfCancelled();
    await create();
  };
  // Settings change on a stopped capsule (capsule.update) and apply at its next start.
  const update = async () => {
    if (running) {
      say('stopping');
      await h.operation('capsule.stop', { name }, subject);
      ctx.throwIfCancelled();
    }
    say(`updating ${change.fields.filter((f) => f.field !== 'state').map((f) => f.field).join(', ')}`);
    await h.call('capsule.update', capsuleUpdateSpec(need(d)));
    ctx.throwIfCancelled();
    say('starting');
    await h.operation('capsule.start', { name }, subject);
  };
  switch (change.class) {
    case 'create':
      return create();
    case 'delete':
      say('deleting');
      await h.operation('capsule.delete', { name, force: true }, subject);
      return;
    case 'replace':
      await snapshotFirst();
      return recreate();
    case 'restart':
    case 'update': {
      if (!have) return create();
      const settings = change.fields.some((f) => f.field !== 'state');
      if (change.class === 'restart') await snapshotFirst();
      if (settings && running && takenLive(change)) {
        say(`updating ${change.fields.filter((f) => f.field !== 'state').map((f) => f.field).join(', ')}`);
        const s = need(d).spec;
        await h.call('capsule.update', { name: s.name, health: s.health ?? null, autostart: s.autostart ?? null });
        return;
      }
      if (settings) return update();
      if (have.state === 'paused') {
        say('resuming');
        await h.call('capsule.resume', { name });
      } else if (!running) {
        say('starting');
        await h.operation('capsule.start', { name }, subject);
      }
      return;
    }
  }
}

/** The file's settings as a capsule.update: what the file leaves out is cleared, as a create would leave it. */
export function capsuleUpdateSpec(d: DesiredCapsule): CapsuleUpdateSpecIn {
  const s = d.spec;
  return {
    name: s.name,
    command: s.command ?? null,
    env: s.env,
    workdir: s.workdir ?? null,
    user: s.user ?? null,
    volumes: s.volumes,
    cpus: s.cpus ?? null,
    memoryBytes: s.memoryBytes ?? null,
    pids: s.pids ?? null,
    restart: s.restart,
    network: s.network ?? null,
    ports: s.ports,
    health: s.health ?? null,
    autostart: s.autostart ?? null,
  };
}

/** Fields the helper takes while the guest runs: its health monitor is swapped, autostart and the restart policy are its own bookkeeping. */
const LIVE_FIELDS = new Set(['health', 'autostart', 'restart']);

/** Only fields a running guest takes changed: nothing stops. (A capsule's `restart` is not among them: its class is restart.) */
function takenLive(change: ResourceChange): boolean {
  const fields = change.fields.filter((f) => f.field !== 'state');
  return fields.length > 0 && fields.every((f) => LIVE_FIELDS.has(f.field) && f.class === 'update');
}

function need<T>(d: T | null): T {
  if (d === null) throw new Error('a change that creates needs the file\'s resource');
  return d;
}
