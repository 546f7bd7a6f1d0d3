// The move's transport end to end on loopback, with the real certtool and tar: what the
// source streams arrives whole and checked, a client with another move's certificate is
// refused, and a listener nobody feeds gives up and removes its staging folder.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessRunner } from '../process/process-runner.js';
import { hashTree } from './file-manifest.js';
import { arrivedFiles, MoveArrivals } from './move-arrivals.js';
import { sendParts } from './move-sender.js';

let dir = '';
const runner = new ProcessRunner();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv7c-move-unit-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a move over loopback', () => {
  it('carries a sparse disk and a folder whole into the staging folder', async () => {
    const source = join(dir, 'source');
    await mkdir(join(source, 'tpm'), { recursive: true });
    const disk = join(source, 'web.raw');
    await writeFile(disk, '');
    await truncate(disk, 64 * 1024 * 1024);
    const handle = await open(disk, 'r+');
    await handle.write(Buffer.from('nova-sector'), 0, 11, 32 * 1024 * 1024);
    await handle.close();
    await writeFile(join(source, 'tpm', 'tpm2-00.permall'), 'tpm state\n');
    const arrivals = new MoveArrivals({ runner });
    const staging = join(dir, 'vms', '.arriving-web');
    const listener = await arrivals.open('vm/web', staging, '127.0.0.1', AbortSignal.timeout(30_000));
    const parts = [
      { dir: source, entry: 'web.raw', as: 'disk0.raw' },
      { dir: source, entry: 'tpm', as: 'tpm' },
    ];
    const streamBytes = await sendParts(runner, { host: '127.0.0.1', port: listener.port, tls: listener.tls }, parts, new AbortController().signal, () => undefined);
    // The hole is not on the wire.
    expect(streamBytes).toBeLessThan(1024 * 1024);
    await arrivals.received('vm/web', 10_000);
    const sent = [...(await hashTree(disk, 'disk0.raw')), ...(await hashTree(join(source, 'tpm'), 'tpm'))];
    expect(await arrivedFiles(staging)).toEqual(sent);
    await arrivals.settled('vm/web');
    expect(existsSync(staging)).toBe(false);
  }, 60_000);

  it('refuses a source holding another move\'s certificate, and still takes the right one', async () => {
    const source = join(dir, 'source');
    await mkdir(source);
    await writeFile(join(source, 'disk0.raw'), 'data');
    const arrivals = new MoveArrivals({ runner });
    const one = await arrivals.open('vm/one', join(dir, '.arriving-one'), '127.0.0.1', AbortSignal.timeout(30_000));
    const other = await arrivals.open('vm/other', join(dir, '.arriving-other'), '127.0.0.1', AbortSignal.timeout(30_000));
    const parts = [{ dir: source, entry: 'disk0.raw', as: 'disk0.raw' }];
    const signal = new AbortController().signal;
    await expect(sendParts(runner, { host: '127.0.0.1', port: one.port, tls: other.tls }, parts, signal, () => undefined)).rejects.toThrow();
    await sendParts(runner, { host: '127.0.0.1', port: one.port, tls: one.tls }, parts, signal, () => undefined);
    await arrivals.received('vm/one', 10_000);
    await arrivals.discard('vm/one');
    await arrivals.discard('vm/other');
  }, 60_000);

  it('gives up a listener that hears nothing, and removes its staging folder', async () => {
    const arrivals = new MoveArrivals({ runner, idleMs: 300 });
    const staging = join(dir, '.arriving-idle');
    await arrivals.open('capsule/idle', staging, '127.0.0.1', AbortSignal.timeout(30_000));
    await expect(arrivals.received('capsule/idle', 10_000)).rejects.toThrow('nothing came from the source');
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(staging)).toBe(false);
    expect(arrivals.has('capsule/idle')).toBe(false);
  }, 30_000);

  it('removes staging folders an interrupted helper left, and nothing else', async () => {
    await mkdir(join(dir, '.arriving-old', 'tpm'), { recursive: true });
    await mkdir(join(dir, 'web'));
    await new MoveArrivals({ runner }).removeLeftovers([dir, join(dir, 'missing')]);
    expect(existsSync(join(dir, '.arriving-old'))).toBe(false);
    expect(existsSync(join(dir, 'web'))).toBe(true);
  });
});
