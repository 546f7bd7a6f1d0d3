// Image types told from real files: disks made by qemu-img, an ISO by xorriso, cpio
// archives by cpio and the compressors, a program that is no kernel, and the test guest's
// own Debian kernel (bzImage and vmlinux) and busybox initramfs from the guest builder.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { open, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import { ensureTestGuest, type TestGuest } from '../../system-tests/fixtures/guest-builder.js';
import { detectImageType, type DetectedType } from './image-type.js';

let work = '';
let guest: TestGuest;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nv6i-image-type-'));
  // Built once and cached outside the repository; a cached guest returns at once.
  guest = await ensureTestGuest();
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The type of a file, read as the library reads it: through one descriptor. */
async function typeOf(path: string, name = basename(path)): Promise<DetectedType> {
  const handle = await open(path, 'r');
  try {
    return await detectImageType(async (position, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    }, name);
  } finally {
    await handle.close();
  }
}

/** A one-file cpio archive (newc, as the kernel wants an initramfs). */
function cpioOf(dir: string, out: string): void {
  writeFileSyncIn(dir, 'init', '#!/bin/sh\n');
  execFileSync('sh', ['-c', `cd "${dir}" && echo init | cpio --quiet -o -H newc > "${out}"`]);
}

function writeFileSyncIn(dir: string, name: string, text: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
}

async function refusal(path: string): Promise<NovaError> {
  const err = await typeOf(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NovaError);
  return err as NovaError;
}

describe('disks and ISOs', () => {
  it('takes a qcow2 and a raw file for disks', async () => {
    const qcow2 = join(work, 'a.qcow2');
    const raw = join(work, 'b.img');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, '16M']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', raw, '1M']);
    expect(await typeOf(qcow2)).toEqual({ type: 'disk' });
    expect(await typeOf(raw)).toEqual({ type: 'disk' });
  });

  it('tells an ISO 9660 image by its volume descriptor, whatever it is called', async () => {
    const tree = join(work, 'iso-tree');
    writeFileSyncIn(tree, 'README', 'nv6i\n');
    const iso = join(work, 'media.bin');
    execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, tree], { stdio: 'ignore' });
    expect(await typeOf(iso)).toEqual({ type: 'iso' });
  });

  it('keeps an .iso name meaning an ISO when the header says nothing else', async () => {
    const fake = join(work, 'blank.iso');
    await writeFile(fake, Buffer.alloc(4096));
    expect(await typeOf(fake)).toEqual({ type: 'iso' });
  });

  it('keeps a qcow2 a disk even when it is named .iso', async () => {
    const qcow2 = join(work, 'disguised.iso');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, '16M']);
    expect((await typeOf(qcow2)).type).toBe('disk');
  });
});

describe('kernels', () => {
  it("reads a bzImage's boot header and its version", async () => {
    const found = await typeOf(guest.bzImage);
    expect(found).toEqual({ type: 'kernel', detail: 'bzImage', kernelVersion: `${guest.kernelVersion}-amd64` });
  });

  it("knows an ELF vmlinux by the kernel's notes", async () => {
    expect(await typeOf(guest.vmlinux)).toEqual({ type: 'kernel', detail: 'ELF vmlinux' });
  });

  it('refuses an ELF program that is no kernel', async () => {
    const err = await refusal('/bin/true');
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain('no Linux kernel');
  });
});

describe('initrds', () => {
  it("takes the test guest's initramfs", async () => {
    expect(await typeOf(guest.initrdPlain)).toEqual({ type: 'initrd', detail: 'cpio' });
  });

  it('looks inside gzip and trusts zstd and xz', async () => {
    const cpio = join(work, 'initrd.cpio');
    cpioOf(join(work, 'initrd-tree'), cpio);
    execFileSync('sh', ['-c', `gzip -c "${cpio}" > "${cpio}.gz" && zstd -q -c "${cpio}" > "${cpio}.zst" && xz -c "${cpio}" > "${cpio}.xz"`]);
    expect(await typeOf(cpio)).toEqual({ type: 'initrd', detail: 'cpio' });
    expect(await typeOf(`${cpio}.gz`)).toEqual({ type: 'initrd', detail: 'cpio (gzip)' });
    expect(await typeOf(`${cpio}.zst`)).toEqual({ type: 'initrd', detail: 'cpio (zstd)' });
    expect(await typeOf(`${cpio}.xz`)).toEqual({ type: 'initrd', detail: 'cpio (xz)' });
  });

  it('refuses a gzipped disk rather than calling it an initrd', async () => {
    const raw = join(work, 'disk.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', raw, '1M']);
    execFileSync('sh', ['-c', `gzip -c "${raw}" > "${raw}.gz"`]);
    const err = await refusal(`${raw}.gz`);
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain('holds no cpio archive');
  });
});
