// A disk import is an operation: against the real helper and real qemu-img, it reports
// progress, a conflicting request is refused as `locked` naming the import, and a cancel
// (operation.cancel from a client, or Ctrl+C in `nova image import`) stops qemu-img and
// leaves no partial file, no record and no process behind. qemu-img converts this host's
// test disks in well under a second, so the tests freeze it (SIGSTOP) mid-way to act
// while it works, and let it go on (SIGCONT) for the cancel to reach it.
import { spawn } from 'node:child_process';
import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '../../src-shared/operation.js';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { freezeWhenRunning, qemuImgConvertOf } from './fixtures/frozen-child.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv8i';
const MIB = 1024 * 1024;

let dir = '';
let helper: RunningHelper;
let client: HelperClient;
const seen: Operation[] = [];

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

/** qemu-img processes working on this run's files. */
async function qemuImgsUnder(path: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('qemu-img') && cmdline.includes(path)) pids.push(Number(entry));
  }
  return pids;
}

async function waitFor<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const imagesDir = () => join(helper.stateDir, 'images');

/** Waits for the conversion of the big disk and freezes it where it is. */
async function freezeQemuImg(): Promise<number> {
  return (await freezeWhenRunning(qemuImgConvertOf(join(dir, 'big.raw')), 30_000, 'qemu-img convert')).pid;
}

beforeAll(async () => {
  dir = await makeTestDir(PREFIX);
  helper = await startHelper(dir, { extraArgs: ['--allowed-root', dir] });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
  client.onEvent((e) => e.name === 'operation.changed' && seen.push(e.payload));
  // 64 GiB virtual, 768 MiB of data in 48 runs: several seconds of conversion on this host.
  await sparseRaw(join(dir, 'big.raw'), 64, 48, 16);
});

afterAll(async () => {
  client?.close();
  for (const pid of await qemuImgsUnder(dir || '/nonexistent')) process.kill(pid, 'SIGKILL');
  await helper?.stop();
  if (dir) await removeTestDir(dir);
});

describe('disk import as an operation', () => {
  it('refuses a conflicting import as locked, naming it, and cancels cleanly', async () => {
    let opId = '';
    const importing = client.call('image.import', { path: join(dir, 'big.raw'), name: 'nv8i-big' }, { onOperation: (id) => (opId = id) });
    importing.catch(() => undefined);
    const qemuImg = await freezeQemuImg();
    const running = await waitFor(() => seen.find((o) => o.id === opId && o.progress.phase === 'converting raw to qcow2'), 10_000, 'the conversion phase');
    expect(running).toMatchObject({ kind: 'image.import', resource: { kind: 'image', name: 'nv8i-big' }, title: 'import of big.raw', owner: { uid: 0 }, state: 'running', cancellable: true });

    const listed = await client.call('operation.list', { state: 'running' });
    expect(listed.operations.map((o) => o.id)).toEqual([opId]);

    const second = client.call('image.import', { path: join(dir, 'big.raw'), name: 'nv8i-big' });
    await expect(second).rejects.toMatchObject({
      code: 'locked',
      message: expect.stringMatching(/^Image nv8i-big is busy: import of big\.raw \(started \d+ s ago by uid 0\)$/),
      details: { operationId: opId },
    });

    const asked = await client.call('operation.cancel', { id: opId });
    expect(asked).toMatchObject({ id: opId, cancelRequested: true });
    process.kill(qemuImg, 'SIGCONT');
    await expect(importing).rejects.toMatchObject({ code: 'cancelled' });

    expect(await client.call('operation.get', { id: opId })).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' }, finishedAt: expect.any(String) });
    expect(await readdir(imagesDir())).toEqual([]);
    expect(await client.call('image.list', {})).toEqual([]);
    expect(await qemuImgsUnder(dir)).toEqual([]);
  });

  it('frees the name: the same image imports afterwards, reporting progress, and is listed as succeeded', async () => {
    let opId = '';
    const image = await client.call('image.import', { path: join(dir, 'big.raw'), name: 'nv8i-big' }, { onOperation: (id) => (opId = id) });
    expect(image).toMatchObject({ name: 'nv8i-big', format: 'qcow2', virtualSize: 64 * 1024 * MIB });
    const phases = [...new Set(seen.filter((o) => o.id === opId).map((o) => o.progress.phase))];
    expect(phases).toEqual(['starting', 'converting raw to qcow2', 'computing the checksum', 'done']);
    expect(await client.call('operation.get', { id: opId })).toMatchObject({ state: 'succeeded', progress: { phase: 'done', fraction: 1 } });
    await client.call('image.remove', { name: 'nv8i-big' });
  });

  it('cancels an ISO copy and removes what was copied', async () => {
    const iso = join(dir, 'install.iso');
    await writeFile(iso, Buffer.alloc(512 * MIB, 0x33));
    let opId = '';
    // Cancelled as soon as the operation exists: the copy stops at its first chunk or before.
    const importing = client.call('image.import', { path: iso, name: 'nv8i-iso' }, { onOperation: (id) => void client.call('operation.cancel', { id }).then(() => (opId = id)) });
    importing.catch(() => undefined);
    await expect(importing).rejects.toMatchObject({ code: 'cancelled' });
    await waitFor(() => opId !== '', 5_000, 'the cancel to answer');
    expect(await client.call('operation.get', { id: opId })).toMatchObject({ state: 'cancelled' });
    expect(await readdir(imagesDir())).toEqual([]);
  });

  it('nova image import: Ctrl+C cancels the operation, not just the client', async () => {
    const cli = spawn(process.execPath, [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', 'image', 'import', join(dir, 'big.raw'), '--name', 'nv8i-cli'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    try {
      // Without a terminal the CLI writes one line per phase.
      const qemuImg = await freezeQemuImg();
      await waitFor(() => stderr.includes('import of big.raw: converting raw to qcow2'), 30_000, `the CLI's progress line (stderr: ${stderr})`);
      cli.kill('SIGINT');
      await waitFor(() => seen.find((o) => o.resource.name === 'nv8i-cli' && o.cancelRequested), 10_000, 'the cancel request');
      process.kill(qemuImg, 'SIGCONT');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(code).toBe(1);
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
    }
    expect(stderr).toMatch(/cancelling/);
    expect(stderr).toMatch(/import of \S+big\.raw as image nv8i-cli was cancelled; nothing was kept; cancelled at your request \[cancelled\]/);
    const op = seen.filter((o) => o.resource.name === 'nv8i-cli').at(-1);
    expect(op).toMatchObject({ state: 'cancelled' });
    expect(await readdir(imagesDir())).toEqual([]);
    expect(await qemuImgsUnder(dir)).toEqual([]);
  });
});
