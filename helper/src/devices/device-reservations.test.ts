// VFIO.md 4.3 cases 14, 15 and 18, and a helper killed at every step of a bind and a
// restore: a new binder on the same tree and journal must leave the host as it was.
import { afterEach, describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { DeviceReservations, type ProcessIdentity } from './device-reservations.js';
import { BinderWorld } from './testing/binder-fixture.js';
import { GPU, GPU_AUDIO, ROOT_PORT, gpuWithAudio, hostGpu } from './testing/fake-sysfs.js';
import { handOverGroups, takeBackGroups } from './vfio-group-access.js';

let world: BinderWorld;
afterEach(() => world?.cleanup());

const HELPER: ProcessIdentity = { pid: 100, startTime: '1000' };

function gpuWorld(): BinderWorld {
  world = new BinderWorld();
  hostGpu(gpuWithAudio(world.fs));
  return world.boot();
}

/** Reservations whose liveness answers from `living` (pid:start), as /proc would. */
function reservations(w: BinderWorld, living: Set<string>, binder = w.binder()): DeviceReservations {
  return new DeviceReservations({ journal: w.journal, binder, isAlive: async (pid, start) => living.has(`${pid}:${start}`), self: HELPER });
}

function expectOriginalHost(w: BinderWorld): void {
  expect(w.kernel.driverOf(GPU)).toBe('nvidia');
  expect(w.kernel.driverOf(GPU_AUDIO)).toBe('snd_hda_intel');
  expect(w.kernel.driverOf(ROOT_PORT)).toBe('pcieport');
  expect([w.kernel.overrideOf(GPU), w.kernel.overrideOf(GPU_AUDIO)]).toEqual(['(null)', '(null)']);
  expect(w.kernel.ownerOf('/dev/vfio/1')).toBeNull();
}

describe('reservations (#14)', () => {
  it('refuses a second VM a member of a group a living VM holds, naming the holder', async () => {
    const w = gpuWorld();
    const living = new Set(['100:1000', '555:77']);
    const r = reservations(w, living);
    await r.acquire('vm-a', [{ address: GPU, policy: 'restore' }]);
    await r.attachProcess('vm-a', { pid: 555, startTime: '77' });
    const writes = w.kernel.writeLog.length;
    const err = await r.acquire('vm-b', [{ address: GPU_AUDIO, policy: 'restore' }]).catch((e: unknown) => e);
    expect(isNovaError(err, 'failed_precondition')).toBe(true);
    expect((err as Error).message).toContain(`${GPU_AUDIO} (IOMMU group 1) is in use by VM vm-a`);
    expect(w.kernel.writeLog.length).toBe(writes);
    expect((await w.journal.load(1))?.holder).toMatchObject({ kind: 'vm', vm: 'vm-a', pid: 555 });
  });

  it('reclaims a stale reservation whose QEMU is dead', async () => {
    const w = gpuWorld();
    const living = new Set(['100:1000', '555:77']);
    const r = reservations(w, living);
    await r.acquire('vm-a', [{ address: GPU, policy: 'restore' }]);
    await r.attachProcess('vm-a', { pid: 555, startTime: '77' });
    living.delete('555:77');
    await r.acquire('vm-b', [{ address: GPU_AUDIO, policy: 'restore' }]);
    expect((await w.journal.load(1))?.holder).toMatchObject({ kind: 'vm', vm: 'vm-b', pid: null });
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
  });

  it('a reservation whose QEMU has not started yet lives as long as the helper that made it', async () => {
    const w = gpuWorld();
    const living = new Set(['100:1000']);
    await reservations(w, living).acquire('vm-a', [{ address: GPU, policy: 'restore' }]);
    const other = new DeviceReservations({ journal: w.journal, binder: w.binder(), isAlive: async (p, s) => living.has(`${p}:${s}`), self: { pid: 200, startTime: '9' } });
    await expect(other.acquire('vm-b', [{ address: GPU, policy: 'restore' }])).rejects.toThrow(/in use by VM vm-a/);
    living.delete('100:1000');
    await other.acquire('vm-b', [{ address: GPU, policy: 'restore' }]);
  });

  it('releases at stop: restore policy back to the host drivers, keep policy stays on vfio-pci unheld', async () => {
    const w = gpuWorld();
    const r = reservations(w, new Set(['100:1000']));
    await r.acquire('vm-a', [{ address: GPU, policy: 'restore' }]);
    await r.release('vm-a');
    expectOriginalHost(w);
    expect((await w.journal.all()).bindings).toEqual([]);
    await r.acquire('vm-a', [{ address: GPU, policy: 'keep' }]);
    await r.release('vm-a');
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
    expect((await w.journal.load(1))?.holder).toBeNull();
  });
});

describe('crash recovery (#15)', () => {
  it('restores a bound group at helper start when no QEMU holds it, and keeps it when its QEMU runs', async () => {
    const w = gpuWorld();
    const living = new Set(['100:1000', '555:77']);
    const r = reservations(w, living);
    await r.acquire('vm-a', [{ address: GPU, policy: 'restore' }]);
    await r.attachProcess('vm-a', { pid: 555, startTime: '77' });
    expect(await reservations(w, living).recover()).toEqual([{ group: 1, outcome: 'kept' }]);
    expect(w.kernel.driverOf(GPU)).toBe('vfio-pci');
    living.delete('555:77');
    expect(await reservations(w, living).recover()).toEqual([{ group: 1, outcome: 'restored' }]);
    expectOriginalHost(w);
    expect((await w.journal.all()).bindings).toEqual([]);
  });

  // A bind makes 6 writes, a restore 6: kill the helper before and after each one.
  for (const when of ['before', 'after'] as const) {
    for (let k = 0; k < 6; k++) {
      it(`a helper killed ${when} bind write ${k + 1} is rolled back by the next one`, async () => {
        const w = gpuWorld();
        const { io, crashed } = w.crashingIO(k, when);
        const dying = reservations(w, new Set(), w.binder({ io, unbindTimeoutMs: DEAD }));
        void dying.acquire('vm-a', [{ address: GPU, policy: 'restore' }]).catch(() => undefined);
        await bounded(crashed);
        expect(w.kernel.writeLog.length).toBe(when === 'after' ? k + 1 : k);
        // The journal says how far it got: a step is saved before its write.
        expect((await w.journal.load(1))?.phase).toBe('binding');
        const outcome = await reservations(w, new Set()).recover();
        expect(outcome).toEqual([{ group: 1, outcome: 'rolled back' }]);
        expectOriginalHost(w);
        expect((await w.journal.all()).bindings).toEqual([]);
      });

      it(`a helper killed ${when} restore write ${k + 1} has its restore finished by the next one`, async () => {
        const w = gpuWorld();
        await reservations(w, new Set(['100:1000'])).acquire('vm-a', [{ address: GPU, policy: 'restore' }]);
        const base = w.kernel.writeLog.length;
        const { io, crashed } = w.crashingIO(k, when);
        void w.binder({ io, unbindTimeoutMs: DEAD }).restore(1).catch(() => undefined);
        await bounded(crashed);
        expect(w.kernel.writeLog.length).toBe(base + (when === 'after' ? k + 1 : k));
        expect((await w.journal.load(1))?.phase).toBe('restoring');
        expect(await reservations(w, new Set()).recover()).toEqual([{ group: 1, outcome: 'restored' }]);
        expectOriginalHost(w);
      });
    }
  }
});

describe('/dev/vfio/N for a QEMU run as a user (#18)', () => {
  it('is chowned to the QEMU user at start and back to root at stop', async () => {
    const w = gpuWorld();
    await w.binder().bind({ address: GPU, policy: 'restore', holder: null });
    const io = w.kernel.io();
    await handOverGroups(io, [1], 1000, 1000);
    expect(w.kernel.ownerOf('/dev/vfio/1')).toEqual({ uid: 1000, gid: 1000 });
    await takeBackGroups(io, [1]);
    expect(w.kernel.ownerOf('/dev/vfio/1')).toEqual({ uid: 0, gid: 0 });
    expect(w.kernel.log().filter((l) => l.includes('chown'))).toEqual(['/dev/vfio/1 chown 1000:1000', '/dev/vfio/1 chown 0:0']);
  });

  it('gives back what it handed over when a chown fails', async () => {
    world = new BinderWorld();
    gpuWithAudio(world.fs);
    world.fs.pci({ address: '0000:05:00.0', vendor: 0x8086, device: 0x15f3, classCode: 0x020000, driver: 'igc', group: 9 });
    const w = world.boot();
    await w.binder().bind({ address: GPU, policy: 'restore', holder: null });
    await w.binder().bind({ address: '0000:05:00.0', policy: 'restore', holder: null });
    w.kernel.fail({ path: /\/dev\/vfio\/9$/, errno: 'EPERM' });
    const io = w.kernel.io();
    await expect(handOverGroups(io, [1, 9], 1000, 1000)).rejects.toThrow(/\/dev\/vfio\/9 to uid 1000 failed: EPERM/);
    expect(w.kernel.ownerOf('/dev/vfio/1')).toEqual({ uid: 0, gid: 0 });
    expect(w.kernel.ownerOf('/dev/vfio/9')).toEqual({ uid: 0, gid: 0 });
  });
});

/** A killed helper's timers never fire: the dying binder's unbind bound is out of reach. */
const DEAD = 3_600_000;

async function bounded(p: Promise<void>, ms = 5_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('the helper never reached its crash point')), ms); })]);
  clearTimeout(timer);
}
