// Cancelling an image import through the contract's handlers, against real qemu-img: a
// large sparse raw disk cancelled mid-conversion reports `cancelled`, leaves no partial
// file or record, and frees the name for the next import; an ISO copy cancels the same way.
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmEvent } from '../../src-shared/api/vm-api.js';
import { vmHandlers, type VmHandlers } from '../src/methods/vm-methods.js';
import type { CallContext } from '../src/methods/handler-table.js';
import { silentLogger } from '../src/util/logger.js';
import { VmManager } from '../src/vm/vm-manager.js';

const ROOT: CallContext = { caller: { pid: process.pid, uid: 0, gid: 0, startTime: null } };
const MIB = 1024 * 1024;

let dir: string;
let vms: VmManager;
let handlers: VmHandlers;
const events: VmEvent[] = [];

/** A sparse raw disk: `chunks` runs of non-zero data spread over `virtualGiB` (zeros convert in no time). */
async function sparseRaw(path: string, virtualGiB: number, chunks: number, chunkMiB: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(virtualGiB * 1024 * MIB);
    const data = Buffer.alloc(chunkMiB * MIB, 0x5a);
    const stride = Math.floor((virtualGiB * 1024) / chunks) * MIB;
    for (let i = 0; i < chunks; i++) await fh.write(data, 0, data.length, i * stride);
  } finally {
    await fh.close();
  }
}

/** qemu-img processes writing into this run's folder. */
async function qemuImgsUnder(path: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('qemu-img') && cmdline.includes(path)) pids.push(Number(entry));
  }
  return pids;
}

function progressOf(name: string): number[] {
  return events.filter((e) => e.name === 'image.importProgressed' && e.payload.name === name).map((e) => (e.payload as { percent: number }).percent);
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv3a-'));
  vms = new VmManager({
    stateDir: join(dir, 'state'),
    allowedRoots: [dir],
    hostAccelerator: async () => 'tcg',
    logger: silentLogger(),
  });
  await vms.init();
  handlers = vmHandlers({ vms, emit: (e) => events.push(e) });
});

afterAll(async () => {
  for (const pid of await qemuImgsUnder(dir ?? '/nonexistent')) process.kill(pid, 'SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('image.importCancel', () => {
  it('answers false when no import of that name runs', async () => {
    await expect(handlers['image.importCancel']({ name: 'nv3a-none' }, ROOT)).resolves.toEqual({ cancelled: false });
  });

  it('cancels a large sparse raw import mid-way: cancelled, no partial file, no record', async () => {
    const raw = join(dir, 'nv3a-big.raw');
    // 64 GiB virtual, 768 MiB of data in 48 runs: a few seconds of conversion on this host.
    await sparseRaw(raw, 64, 48, 16);
    const importing = handlers['image.import']({ path: raw, name: 'nv3a-big' }, ROOT);
    importing.catch(() => undefined);
    await waitFor(() => progressOf('nv3a-big').some((p) => p > 0 && p < 100), 30_000, 'conversion progress between 0 and 100 %');
    expect(await qemuImgsUnder(dir)).toHaveLength(1);
    const t0 = Date.now();
    await expect(handlers['image.importCancel']({ name: 'nv3a-big' }, ROOT)).resolves.toEqual({ cancelled: true });
    await expect(importing).rejects.toMatchObject({ code: 'cancelled', message: expect.stringMatching(/cancelled/) });
    console.log(`import cancelled at ${progressOf('nv3a-big').at(-1)} %, settled in ${Date.now() - t0} ms`);
    expect(progressOf('nv3a-big')).not.toContain(100);
    expect(await readdir(vms.layout.imagesDir)).toEqual([]);
    expect(await handlers['image.list']({}, ROOT)).toEqual([]);
    expect(await qemuImgsUnder(dir)).toEqual([]);
  });

  it('frees the name: the same image imports afterwards', async () => {
    const small = join(dir, 'nv3a-small.raw');
    await sparseRaw(small, 1, 2, 1);
    const image = await handlers['image.import']({ path: small, name: 'nv3a-big' }, ROOT);
    expect(image).toMatchObject({ name: 'nv3a-big', format: 'qcow2', virtualSize: 1024 * MIB });
    await handlers['image.remove']({ name: 'nv3a-big' }, ROOT);
  });

  it('refuses a second import of a name being imported', async () => {
    const raw = join(dir, 'nv3a-big.raw');
    const first = handlers['image.import']({ path: raw, name: 'nv3a-twice' }, ROOT);
    first.catch(() => undefined);
    await waitFor(() => vms.images.importing().includes('nv3a-twice'), 5_000, 'the first import to register');
    await expect(handlers['image.import']({ path: raw, name: 'nv3a-twice' }, ROOT)).rejects.toMatchObject({ code: 'already_exists', message: expect.stringMatching(/being imported/) });
    await handlers['image.importCancel']({ name: 'nv3a-twice' }, ROOT);
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    expect(await readdir(vms.layout.imagesDir)).toEqual([]);
  });

  it('cancels an ISO copy and removes what was copied', async () => {
    const iso = join(dir, 'nv3a-install.iso');
    await writeFile(iso, Buffer.alloc(512 * MIB, 0x33));
    const importing = handlers['image.import']({ path: iso, name: 'nv3a-iso' }, ROOT);
    importing.catch(() => undefined);
    await waitFor(() => vms.images.importing().includes('nv3a-iso'), 5_000, 'the ISO import to register');
    await new Promise((r) => setTimeout(r, 50));
    await handlers['image.importCancel']({ name: 'nv3a-iso' }, ROOT);
    await expect(importing).rejects.toMatchObject({ code: 'cancelled' });
    expect(await readdir(vms.layout.imagesDir)).toEqual([]);
  });
});
