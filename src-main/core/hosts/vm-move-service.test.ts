import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NovaError, type NovaEvent } from '../../../src-shared/index.js';
import type { VmMoveProgress } from '../../../src-shared/api/vm-move-api.js';
import { HostRegistry } from './host-registry.js';
import { VmMoveService, type MoveClient } from './vm-move-service.js';

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
function fakeHelper(side: string, calls: string[], opts: { refuse?: string; holdSend?: boolean } = {}): MoveClient {
  const listeners = new Set<(e: NovaEvent) => void>();
  const answers: Record<string, unknown> = {
    'vm.migrateOffer': { definition: { name: 'web', memoryMiB: 256 }, machineType: 'pc-q35-7.2', accel: 'tcg', disks: [] },
    'vm.migrateIncoming': { migrationPort: 4444, nbdPort: 5555, tls: { caCert: PEM, clientCert: PEM, clientKey: PEM } },
    'vm.migrateSend': { downtimeMs: 30, totalMs: 1000, diskBytes: 1, ramBytes: 2 },
    'vm.migrateFinish': { state: 'running' },
  };
  const call = async (method: string, params: unknown, o: { signal?: AbortSignal; onOperation?: (id: string) => void } = {}) => {
    calls.push(`${side} ${method}`);
    if (method === opts.refuse) throw new NovaError('failed_precondition', `VM web is on network lan, which this host does not have: create it here first`);
    if (method === 'vm.migrateSend') {
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

function service(calls: string[], opts: { refuse?: string; holdSend?: boolean } = {}) {
  const progress: VmMoveProgress[] = [];
  const local = fakeHelper('local', calls, opts);
  const closet = fakeHelper('closet', calls, opts);
  const moves = new VmMoveService({
    local,
    remote: async (host) => {
      if (host !== 'closet') throw new NovaError('not_found', `No host named ${host}`);
      return closet;
    },
    publish: (e) => {
      if (e.name === 'vm.moveProgress') progress.push(e.payload);
    },
    registry,
  });
  return { moves, progress };
}

const live = { name: 'web', from: 'local', to: 'closet', kind: 'live' as const, postcopy: false };

describe('VmMoveService', () => {
  it('moves between this machine and a saved host, listening on the host of its ssh address, and tells each step and the send\'s progress', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls);
    const report = await moves.move(live);
    expect(report.downtimeMs).toBe(30);
    expect(calls).toEqual(['local vm.migrateOffer', 'closet vm.migrateIncoming', 'local vm.migrateSend', 'closet vm.migrateFinish', 'local vm.migrateComplete']);
    expect(progress.map((p) => p.step)).toEqual(['checking', 'checking', 'preparing', 'sending', 'sending', 'finishing', 'moved']);
    expect(progress.find((p) => p.operation)?.operation?.progress.bytesDone).toBe(5);
  });

  it('says a refusal from the destination moved nothing', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls, { refuse: 'vm.migrateIncoming' });
    await expect(moves.move(live)).rejects.toThrow(/which this host does not have: create it here first \(nothing was moved; web runs on this machine\)/);
    expect(calls).not.toContain('local vm.migrateSend');
    expect(progress.at(-1)?.step).toBe('failed');
  });

  it('cancels the send: the move fails as cancelled and the destination is discarded', async () => {
    const calls: string[] = [];
    const { moves, progress } = service(calls, { holdSend: true });
    const moving = moves.move(live);
    await expect.poll(() => calls.includes('local vm.migrateSend')).toBe(true);
    await expect(moves.move(live)).rejects.toThrow('already being moved');
    expect(moves.cancel('web', 'local')).toEqual({ cancelled: true });
    await expect(moving).rejects.toThrow('was cancelled; it runs on this machine as before');
    expect(calls.at(-1)).toBe('closet vm.migrateDiscard');
    expect(progress.at(-1)?.step).toBe('cancelled');
    expect(moves.cancel('web', 'local')).toEqual({ cancelled: false });
  });

  it('refuses the same host, a cold move for now, and an unsaved destination before calling anything', async () => {
    const calls: string[] = [];
    const { moves } = service(calls);
    await expect(moves.move({ ...live, to: 'local' })).rejects.toThrow('already on this machine');
    await expect(moves.move({ ...live, kind: 'cold' })).rejects.toThrow('cannot do yet');
    await expect(moves.move({ ...live, to: 'attic' })).rejects.toThrow('No host named "attic" is registered');
    expect(calls).toEqual([]);
  });
});
