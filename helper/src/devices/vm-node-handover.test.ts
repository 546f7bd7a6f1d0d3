import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { FakeKernel } from './testing/fake-kernel.js';
import { FakeSysfs } from './testing/fake-sysfs.js';
import { VmNodeHandover } from './vm-node-handover.js';

const NODE = '/dev/bus/usb/001/003';
const USER = { uid: 65534, gid: 65534 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup() {
  const fs = new FakeSysfs({ prefix: 'nv6h-nodes-' }).usb({ port: '1-2', bus: 1, address: 3, vendor: 0x046d, product: 0xc52b });
  const stateDir = await mkdtemp(join(tmpdir(), 'nv6h-nodes-state-'));
  cleanups.push(async () => {
    fs.cleanup();
    await rm(stateDir, { recursive: true, force: true });
  });
  const kernel = new FakeKernel(fs);
  const make = () => new VmNodeHandover({
    io: kernel.io(),
    stateDir,
    usbDevices: async () => [{ port: '1-2', bus: 1, address: 3, vendorId: '046d', productId: 'c52b', vendorName: null, productName: null, manufacturer: null, product: null }],
    logger: pino({ level: 'silent' }),
    shmPath: (vm) => join(stateDir, `lg-${vm}`),
  });
  return { kernel, stateDir, make };
}

const DEF = { name: 'nv6h-vm', machine: 'q35', usb: ['usb:046d:c52b', 'usb:1-2', 'usb:tablet'], lookingGlass: { resolution: '1920x1080' } } as unknown as VmDefinition;

describe('VmNodeHandover', () => {
  it('hands a matching node over once however many selectors reach it, and gives it back to its owner', async () => {
    const { kernel, stateDir, make } = await setup();
    const nodes = make();
    await nodes.handOver(DEF, USER);
    expect(kernel.ownerOf(NODE)).toEqual(USER);
    expect((await lstat(join(stateDir, 'lg-nv6h-vm'))).size).toBe(32 * 1024 * 1024);
    await nodes.takeBack(DEF.name);
    expect(kernel.log()).toEqual([`${NODE} chown 65534:65534`, `${NODE} chown 0:0`]);
    expect(await lstat(join(stateDir, 'lg-nv6h-vm')).catch(() => null)).toBeNull();
  });

  it('after a run that ended unseen (a new helper, the record left), the next start gives the node back to its real owner first', async () => {
    const { kernel, make } = await setup();
    await make().handOver(DEF, USER);
    // The helper and QEMU died; a new helper starts the VM again.
    const next = make();
    await next.handOver(DEF, USER);
    await next.takeBack(DEF.name);
    expect(kernel.ownerOf(NODE)).toEqual({ uid: 0, gid: 0 });
  });

  it('root\'s QEMU needs no node handed over, and a failed chown gives back what was done', async () => {
    const { kernel, make } = await setup();
    await make().handOver(DEF, null);
    expect(kernel.log()).toEqual([]);
    kernel.fail({ path: /\/dev\/bus\/usb/, errno: 'EPERM' });
    await expect(make().handOver(DEF, USER)).rejects.toThrow(`Giving ${NODE} to uid 65534 failed: EPERM`);
    expect(kernel.ownerOf(NODE)).toEqual({ uid: 0, gid: 0 });
  });
});
