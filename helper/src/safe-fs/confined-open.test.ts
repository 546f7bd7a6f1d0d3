// Real files, links and FIFOs in a temporary folder: what a hostile caller would plant.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { componentsBelow, createConfined, locateConfined, openConfined, readConfined, rootOf } from './confined-open.js';

let base = '';
let root = '';
let outside = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'nv8s-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(join(root, 'a', 'b'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, 'a', 'b', 'disk.raw'), 'inside');
  await writeFile(join(outside, 'secret'), 'secret');
});
afterEach(async () => rm(base, { recursive: true, force: true }));

async function readInside(path: string): Promise<string> {
  const { handle } = await openConfined(root, path, { what: 'the disk' });
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

describe('openConfined', () => {
  it('opens a regular file inside its root', async () => {
    expect(await readInside(join(root, 'a', 'b', 'disk.raw'))).toBe('inside');
  });

  it('follows no link: not as the file, not as any folder on the way', async () => {
    await symlink(join(outside, 'secret'), join(root, 'a', 'b', 'link.raw'));
    await symlink(outside, join(root, 'a', 'dirlink'));
    await expect(readInside(join(root, 'a', 'b', 'link.raw'))).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/symbolic link/) });
    await expect(readInside(join(root, 'a', 'dirlink', 'secret'))).rejects.toMatchObject({ code: 'invalid_argument' });
    // The message never tells where a link points.
    await expect(readInside(join(root, 'a', 'b', 'link.raw'))).rejects.not.toMatchObject({ message: expect.stringContaining(outside) });
  });

  it('refuses paths outside the root, ".." included', async () => {
    await expect(readInside(join(outside, 'secret'))).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/is outside/) });
    await expect(readInside(`${root}/a/../../outside/secret`)).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(() => componentsBelow(root, 'relative/path')).toThrow(/absolute/);
  });

  it('opens a FIFO without blocking, and refuses it as not a regular file', async () => {
    const fifo = join(root, 'a', 'pipe');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    await expect(readInside(fifo)).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/is a FIFO, not a regular file/) });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('keeps reading what it opened even when the path is swapped afterwards', async () => {
    const path = join(root, 'a', 'b', 'disk.raw');
    const { handle } = await openConfined(root, path);
    try {
      await rm(path);
      await symlink(join(outside, 'secret'), path);
      expect(await handle.readFile('utf8')).toBe('inside');
    } finally {
      await handle.close();
    }
  });

  it('opens read-write only when asked, and still through no link', async () => {
    const disk = join(root, 'a', 'b', 'disk.raw');
    const ro = await openConfined(root, disk);
    const rw = await openConfined(root, disk, { writable: true });
    try {
      await expect(ro.handle.write('x', 0)).rejects.toMatchObject({ code: 'EBADF' });
      await rw.handle.write('INSIDE', 0);
      expect(await readFile(disk, 'utf8')).toBe('INSIDE');
    } finally {
      await Promise.all([ro.handle.close(), rw.handle.close()]);
    }
    await symlink(join(outside, 'secret'), join(root, 'a', 'b', 'link.raw'));
    await expect(openConfined(root, join(root, 'a', 'b', 'link.raw'), { writable: true })).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('secret');
  });

  it('says what is missing', async () => {
    await expect(readInside(join(root, 'a', 'nope'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('locateConfined', () => {
  it('finds a folder or a regular file without opening it for reading, and refuses a link, a FIFO, a device', async () => {
    const found = await locateConfined(root, join(root, 'a', 'b'));
    try {
      expect(found.stats.isDirectory()).toBe(true);
      // What was found stays found: the descriptor names the folder, whatever the path becomes.
      await rm(join(root, 'a', 'b'), { recursive: true });
      await symlink(outside, join(root, 'a', 'b'));
      expect(await readFile(`/proc/self/fd/${found.handle.fd}/secret`, 'utf8').catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
      expect(await readFile(join(root, 'a', 'b', 'secret'), 'utf8')).toBe('secret');
    } finally {
      await found.handle.close();
    }
    await expect(locateConfined(root, join(root, 'a', 'b'), 'the volume')).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/^the volume .* is a symbolic link/) });
    await expect(locateConfined(root, join(root, 'a', 'b', 'secret'))).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/goes through a symbolic link/) });
    execFileSync('mkfifo', [join(root, 'a', 'pipe')]);
    await expect(locateConfined(root, join(root, 'a', 'pipe'))).rejects.toMatchObject({ message: expect.stringMatching(/is a FIFO, not a folder or a regular file/) });
    await expect(locateConfined('/dev', '/dev/null')).rejects.toMatchObject({ message: expect.stringMatching(/is a device/) });
  });
});

describe('readConfined', () => {
  it('reads a small file inside the root; null when it is absent', async () => {
    expect(await readConfined(root, join(root, 'a', 'b', 'disk.raw'), 100)).toBe('inside');
    expect(await readConfined(root, join(root, 'a', 'missing'), 100)).toBeNull();
  });

  it('refuses a link out of the root, a FIFO (without waiting on it) and a file over the bound', async () => {
    await symlink(join(outside, 'secret'), join(root, 'a', 'passwd'));
    await expect(readConfined(root, join(root, 'a', 'passwd'), 100, "the image's /etc/passwd")).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/^the image's \/etc\/passwd .* symbolic link/),
    });
    execFileSync('mkfifo', [join(root, 'a', 'group')]);
    const t0 = Date.now();
    await expect(readConfined(root, join(root, 'a', 'group'), 100)).rejects.toMatchObject({ message: expect.stringMatching(/is a FIFO/) });
    expect(Date.now() - t0).toBeLessThan(1000);
    await writeFile(join(root, 'a', 'big'), 'x'.repeat(101));
    await expect(readConfined(root, join(root, 'a', 'big'), 100)).rejects.toMatchObject({ message: expect.stringMatching(/is larger than 100 bytes/) });
  });
});

describe('createConfined', () => {
  it('creates a new file, never through a planted link and never over an existing file', async () => {
    const fh = await createConfined(root, join(root, 'a', 'new.iso'));
    await fh.writeFile('made');
    await fh.close();
    expect(await readFile(join(root, 'a', 'new.iso'), 'utf8')).toBe('made');
    await symlink(join(outside, 'secret'), join(root, 'a', 'planted.tmp'));
    await expect(createConfined(root, join(root, 'a', 'planted.tmp'))).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/already exists/) });
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('secret');
  });
});

describe('rootOf', () => {
  it('names the root holding a path, and refuses others', () => {
    expect(rootOf(['/srv', '/home'], '/home/ann/disk.raw')).toBe('/home');
    expect(() => rootOf(['/srv'], '/etc/shadow', 'the disk')).toThrow(/the disk "\/etc\/shadow" is not inside a folder Nova may use/);
  });
});
