// A disk import is an operation: against the real helper and real qemu-img, it reports
// progress, a conflicting request is refused as `locked` naming the import, and a cancel
// (operation.cancel from a client, or Ctrl+C in `nova image import`) stops qemu-img and
// leaves no partial file, no record and no process behind. qemu-img converts this host's
// test disks in well under a second, so the tests freeze it (SIGSTOP) mid-way to act
// while it works, and let it go on (SIGCONT) for the cancel to reach it.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '../../src-shared/operation.js';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { commandOf, freezeWhenRunning, processesMatching, qemuImgConvertOf, writeSparseDisk } from './fixtures/frozen-child.js';
import { interruptCli, startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { waitFor } from './fixtures/wait-for.js';
import type { RunningHelper } from './helper-harness.js';

const PREFIX = 'nv8i';
const MIB = 1024 * 1024;

let run: OperationHelperRun;
let dir = '';
let helper: RunningHelper;
let client: HelperClient;
let seen: Operation[] = [];

/** qemu-img processes working on this run's files. */
const qemuImgsUnder = (path: string) => processesMatching(commandOf('qemu-img', path));

const imagesDir = () => join(helper.stateDir, 'images');

/** The conversion of this run's disk (not its quick `qemu-img info`). */
const conversion = () => qemuImgConvertOf(join(dir, 'big.raw'));

beforeAll(async () => {
  run = await startOperationHelper(PREFIX);
  ({ dir, helper, client, seen } = run);
  // 64 GiB virtual, 768 MiB of data in 48 runs: several seconds of conversion on this host.
  await writeSparseDisk(join(dir, 'big.raw'), 64, 768);
});

afterAll(async () => {
  await run?.stop();
});

describe('disk import as an operation', () => {
  it('refuses a conflicting import as locked, naming it, and cancels cleanly', async () => {
    let opId = '';
    const importing = client.call('image.import', { path: join(dir, 'big.raw'), name: 'nv8i-big' }, { onOperation: (id) => (opId = id) });
    importing.catch(() => undefined);
    const qemuImg = await freezeWhenRunning(conversion(), 30_000, 'the conversion');
    try {
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
    } finally {
      qemuImg.resume();
    }
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
    const { code, stderr } = await interruptCli(run, ['image', 'import', join(dir, 'big.raw'), '--name', 'nv8i-cli'], {
      freeze: conversion(),
      progress: 'import of big.raw: converting raw to qcow2',
      cancelled: (o) => o.resource.name === 'nv8i-cli',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/cancelling/);
    expect(stderr).toMatch(/import of \S+big\.raw as image nv8i-cli was cancelled; nothing was kept; cancelled at your request \[cancelled\]/);
    const op = seen.filter((o) => o.resource.name === 'nv8i-cli').at(-1);
    expect(op).toMatchObject({ state: 'cancelled' });
    expect(await readdir(imagesDir())).toEqual([]);
    expect(await qemuImgsUnder(dir)).toEqual([]);
  });
});
