import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NovaError, type NovaEvent } from '../../../src-shared/index.js';
import type { CapsuleMoveProgress } from '../../../src-shared/api/capsule-move-api.js';
import type { VmMoveProgress } from '../../../src-shared/api/vm-move-api.js';
import { HostRegistry } from './host-registry.js';
import { GuestMoveService, type MoveClient } from './guest-move-service.js';

const PEM = '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n';
const OP = {
  id: 'op-1',
  kind: 'vm.migrate',
  resource: { kind: 'vm', name: 'web' },
  title: 'migration of web',
  state: 'running',
  progress: { phase: 'copying the disks', fraction: 0.5, bytesDone: 5, bytesTotal: 10 },
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  error: null,
  owner: null,
  cancellable: true,
  cancelRequested: false,
};

/** A fake helper: answers each migration step, records calls, and can hold the send until aborted. */
interface FakeOptions {
  refuse?: string;
  holdSend?: boolean;
  capsuleState?: string;
}

function fakeHelper(side: string, calls: string[], opts: FakeOptions = {}): MoveClient {
  const listeners = new Set<(e: NovaEvent) => void>();
  const answers: Record<string, unknown> = {
    'vm.migrateOffer': { definition: { name: 'web', memoryMiB: 256 }, machineType: 'pc-q35-7.2', accel: 'tcg', disks: [] },
    'vm.migrateIncoming': { migrationPort: 4444, nbdPort: 5555, tls: { caCert: PEM, clientCert: PEM, clientKey: PEM } },
    'vm.migrateSend': { downtimeMs: 30, totalMs: 1000, diskBytes: 1, ramBytes: 2 },
    'vm.migrateFinish': { state: 'running' },
    'vm.moveOffer': { disks: [{ id: 'root', flattened: false }], carried: ['its UEFI variables'] },
    'vm.moveIncoming': { port: 6666, tls: { caCert: PEM, clientCert: PEM, clientKey: PEM } },
    'vm.moveSend': { files: [{ bytes: 3 * 1024 * 1024 }, { bytes: 1024 }], streamBytes: 65_536 },
    'vm.moveFinish': { state: 'stopped' },
    'capsule.get': { name: 'web', state: opts.capsuleState ?? 'running' },
    'capsule.moveOffer': { image: { name: 'busybox' }, volumes: [] },
    'capsule.moveIncoming': { port: 7777, tls: { caCert: PEM, clientCert: PEM, clientKey: PEM }, sendImage: true },
    'capsule.moveSend': { files: [{ bytes: 2048 }], streamBytes: 2048 },
    'capsule.moveFinish': { name: 'web', state: 'stopped' },
    'capsule.start': { name: 'web', state: 'running' },
  };
  const call = async (method: string, params: unknown, o: { signal?: AbortSignal; onOperation?: (id: string) => void } = {}) => {
    calls.push(`${side} ${method}`);
    if (method === opts.refuse) throw new NovaError('failed_precondition', `VM web is on network lan, which this host does not have: create it here first`);
    if (method === 'vm.migrateSend' || method === 'vm.moveSend' || method === 'capsule.moveSend') {
      expect(params).toMatchObject({ to: { host: '10.9.9.2' } });
      o.onOperation?.('op-1');
      for (const l of listeners) l({ name: 'operation.changed', payload: OP } as NovaEvent);
      if (opts.holdSend) {
        await new Promise<void>((_, reject) => o.signal?.addEventListener('abort', () => reject(new NovaError('cancelled', 'operation op-1 was cancelled'))));
      }
    }
    return answers[method] ?? { ok: true };
  };
  return {
    call: call as MoveClient['call'],
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

let dir = '';
let registry: HostRegistry;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-move-'));
  registry = new HostRegistry(join(dir, 'hosts.json'));
  await registry.add('closet', 'ssh://root@10.9.9.2:2222');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function service(calls: string[], opts: FakeOptions = {}) {
  const progress: VmMoveProgress[] = [];
  const capsuleProgress: CapsuleMoveProgress[] = [];
  const local = fakeHelper('local', calls, opts);
  const closet = fakeHelper('closet', calls, opts);
  const moves = new GuestMoveService({
    local,
    remote: async (host) => {
      if (host !== 'closet') throw new NovaError('not_found', `No host named ${host}`);
      return closet;
    },
    publish: (e) => {
      if (e.name === 'vm.moveProgress') progress.push(e.payload);
      if (e.name === 'capsule.moveProgress') capsuleProgress.push(e.payload);
    },
    registry,
  });
  return { moves, progress, capsuleProgress };
}

const live = { name: 'web', from: 'local', to: 'closet', kind: 'live' as const, postcopy: false };
const cold = { ...live, kind: 'cold' as const };

describe('GuestMoveService', () => {
  it('moves between this machine and a saved host, listening on the host of its ssh address, and tells each step and the send\'s progress', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls);
    const report = await moves.moveVm(live);
    expect(report).toMatchObject({ kind: 'live', downtimeMs: 30, diskBytes: 1, ramBytes: 2 });
    expect(calls).toEqual(['local vm.migrateOffer', 'closet vm.migrateIncoming', 'local vm.migrateSend', 'closet vm.migrateFinish', 'local vm.migrateComplete']);
    expect(progress.map((p) => p.step)).toEqual(['checking', 'checking', 'preparing', 'sending', 'sending', 'finishing', 'moved']);
    expect(progress.find((p) => p.operation)?.operation?.progress.bytesDone).toBe(5);
  });

  it('says a refusal from the destination moved nothing', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls, { refuse: 'vm.migrateIncoming' });
    await expect(moves.moveVm(live)).rejects.toThrow(/which this host does not have: create it here first \(nothing was moved; web runs on this machine\)/);
    expect(calls).not.toContain('local vm.migrateSend');
    expect(progress.at(-1)?.step).toBe('failed');
  });

  it('cancels the send: the move fails as cancelled and the destination is discarded', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls, { holdSend: true });
    const moving = moves.moveVm(live);
    await expect.poll(() => calls.includes('local vm.migrateSend')).toBe(true);
    await expect(moves.moveVm(live)).rejects.toThrow('already being moved');
    expect(moves.cancel('vm', 'web', 'local')).toEqual({ cancelled: true });
    await expect(moving).rejects.toThrow('was cancelled; it runs on this machine as before');
    expect(calls.at(-1)).toBe('closet vm.migrateDiscard');
    expect(progress.at(-1)?.step).toBe('cancelled');
    expect(moves.cancel('vm', 'web', 'local')).toEqual({ cancelled: false });
  });

  it('refuses the same host and an unsaved destination before calling anything', async () => {
    const calls: string[] = [];
    const { moves } = service(calls);
    await expect(moves.moveVm({ ...live, to: 'local' })).rejects.toThrow('already on this machine');
    await expect(moves.moveVm({ ...cold, to: 'attic' })).rejects.toThrow('No host named "attic" is registered');
    expect(calls).toEqual([]);
  });

  it('moves a stopped VM cold: the files sent with their progress relayed, then checked and made at the destination, then removed here', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls);
    const report = await moves.moveVm(cold);
    expect(report).toMatchObject({ kind: 'cold', files: 2, bytes: 3 * 1024 * 1024 + 1024, streamBytes: 65_536 });
    expect(report.wallMs).toBeGreaterThanOrEqual(0);
    expect(calls).toEqual(['local vm.moveOffer', 'closet vm.moveIncoming', 'local vm.moveSend', 'closet vm.moveFinish', 'local vm.moveComplete']);
    expect(progress.map((p) => p.step)).toEqual(['checking', 'sending', 'sending', 'finishing', 'moved']);
    expect(progress.find((p) => p.operation)?.operation?.progress).toMatchObject({ phase: 'copying the disks', bytesDone: 5 });
  });

  it('says a cold refusal moved nothing and the VM stays stopped where it was', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls, { refuse: 'vm.moveIncoming' });
    await expect(moves.moveVm(cold)).rejects.toThrow(/create it here first \(nothing was moved; web stays stopped on this machine\)/);
    expect(calls).toEqual(['local vm.moveOffer', 'closet vm.moveIncoming', 'closet vm.moveDiscard']);
    expect(progress.at(-1)?.step).toBe('failed');
  });

  it('cancels a cold send: the destination discards what arrived and the VM stays stopped here', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls, { holdSend: true });
    const moving = moves.moveVm(cold);
    await expect.poll(() => calls.includes('local vm.moveSend')).toBe(true);
    expect(moves.cancel('vm', 'web', 'local')).toEqual({ cancelled: true });
    await expect(moving).rejects.toThrow('The move of VM web was cancelled; it stays stopped on this machine as before');
    expect(calls).not.toContain('local vm.moveComplete');
    expect(calls.at(-1)).toBe('closet vm.moveDiscard');
    expect(progress.at(-1)?.step).toBe('cancelled');
  });

  it('moves a running capsule: stopped here, its files sent with progress, made and started there, removed here', async () => {
    const calls: string[] = [];
    const { moves, progress, capsuleProgress } = service(calls);
    const report = await moves.moveCapsule({ name: 'web', from: 'local', to: 'closet' });
    expect(report).toMatchObject({ kind: 'cold', files: 1, bytes: 2048, streamBytes: 2048, restarted: true });
    expect(calls).toEqual([
      'local capsule.get',
      'local capsule.stop',
      'local capsule.moveOffer',
      'closet capsule.moveIncoming',
      'local capsule.moveSend',
      'closet capsule.moveFinish',
      'local capsule.moveComplete',
      'closet capsule.start',
    ]);
    expect(capsuleProgress.map((p) => p.step)).toEqual(['checking', 'sending', 'sending', 'finishing', 'moved']);
    expect(progress).toEqual([]);
  });

  it('moves a stopped capsule without starting it anywhere', async () => {
    const calls: string[] = [];
    const { moves } = service(calls, { capsuleState: 'stopped' });
    const report = await moves.moveCapsule({ name: 'web', from: 'local', to: 'closet' });
    expect(report.restarted).toBe(false);
    expect(calls).not.toContain('local capsule.stop');
    expect(calls).not.toContain('closet capsule.start');
  });

  it('cancels a capsule send: the destination discards what arrived and the capsule runs here again', async () => {
    const calls: string[] = [];
    const { moves, capsuleProgress } = service(calls, { holdSend: true });
    const moving = moves.moveCapsule({ name: 'web', from: 'local', to: 'closet' });
    await expect.poll(() => calls.includes('local capsule.moveSend')).toBe(true);
    // A VM of the same name is another guest: its cancel touches nothing of the capsule's move.
    expect(moves.cancel('vm', 'web', 'local')).toEqual({ cancelled: false });
    expect(moves.cancel('capsule', 'web', 'local')).toEqual({ cancelled: true });
    await expect(moving).rejects.toThrow('The move of Capsule web was cancelled; it stays on this machine as before');
    expect(calls.slice(-2)).toEqual(['closet capsule.moveDiscard', 'local capsule.start']);
    expect(capsuleProgress.at(-1)?.step).toBe('cancelled');
  });
});
