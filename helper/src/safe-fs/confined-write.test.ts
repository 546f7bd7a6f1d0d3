// Folders and files a caller could once write, with the links and hard links they would
// plant toward files outside: every change lands inside, or is refused, and nothing
// outside changes.
import { chown, link, lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfinedFile, chownConfined, claimFolder, removeConfined, writeConfined } from './confined-write.js';

const asRoot = process.getuid?.() === 0;
const USER = { uid: 65534, gid: 65534 };

let base = '';
let root = '';
let outside = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'nv12v-cw-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'secret', { mode: 0o600 });
});
afterEach(async () => rm(base, { recursive: true, force: true }));

const ownerOf = async (p: string) => {
  const st = await stat(p);
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
};

describe('claimFolder', () => {
  it('makes a missing folder with the mode asked, and says it made it', async () => {
    expect(await claimFolder(root, join(root, 'vm'), { mode: 0o711 })).toBe(true);
    expect((await ownerOf(join(root, 'vm'))).mode).toBe(0o711);
    expect(await claimFolder(root, join(root, 'vm'), { mode: 0o700 })).toBe(false);
    expect((await ownerOf(join(root, 'vm'))).mode).toBe(0o700);
  });

  it.skipIf(!asRoot)("takes back a folder someone else owns, and hands one over when asked", async () => {
    await mkdir(join(root, 'vm'), { mode: 0o777 });
    await chown(join(root, 'vm'), USER.uid, USER.gid);
    await claimFolder(root, join(root, 'vm'));
    expect(await ownerOf(join(root, 'vm'))).toMatchObject({ uid: 0, gid: 0, mode: 0o755 });
    await claimFolder(root, join(root, 'run'), { mode: 0o700, owner: USER });
    expect(await ownerOf(join(root, 'run'))).toEqual({ ...USER, mode: 0o700 });
  });

  it('refuses a link or a file where the folder should be, and changes nothing behind it', async () => {
    const before = await ownerOf(outside);
    await symlink(outside, join(root, 'vm'));
    await expect(claimFolder(root, join(root, 'vm'), { mode: 0o711, owner: USER })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/symbolic link/) });
    expect(await ownerOf(outside)).toEqual(before);
    await writeFile(join(root, 'file'), '');
    await expect(claimFolder(root, join(root, 'file'))).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('chownConfined', () => {
  it.skipIf(!asRoot)('gives a regular file to its new owner by descriptor', async () => {
    await writeFile(join(root, 'disk'), 'd', { mode: 0o644 });
    await chownConfined(root, join(root, 'disk'), USER, 0o600, 'the disk');
    expect(await ownerOf(join(root, 'disk'))).toEqual({ ...USER, mode: 0o600 });
  });

  it('refuses a link and a file with a second name, leaving the file outside as it was', async () => {
    const before = await ownerOf(join(outside, 'secret'));
    await symlink(join(outside, 'secret'), join(root, 'disk'));
    await expect(chownConfined(root, join(root, 'disk'), USER, 0o600, 'the disk')).rejects.toMatchObject({ message: expect.stringMatching(/symbolic link/) });
    await link(join(outside, 'secret'), join(root, 'hard'));
    await expect(chownConfined(root, join(root, 'hard'), USER, 0o666, 'the disk')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/2 names/) });
    await expect(checkConfinedFile(root, join(root, 'hard'))).rejects.toMatchObject({ code: 'failed_precondition' });
    expect(await ownerOf(join(outside, 'secret'))).toEqual(before);
  });
});

describe('writeConfined', () => {
  it('writes a new file, never over an existing name or through a link', async () => {
    await writeConfined(root, join(root, 'seed'), 'data');
    expect(await readFile(join(root, 'seed'), 'utf8')).toBe('data');
    await symlink(join(outside, 'secret'), join(root, 'planted'));
    await expect(writeConfined(root, join(root, 'planted'), 'x')).rejects.toMatchObject({ message: expect.stringMatching(/already exists/) });
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('secret');
  });
});

describe('removeConfined', () => {
  it('removes a whole tree, links inside it removed as links', async () => {
    await mkdir(join(root, 'run', 'a', 'b'), { recursive: true });
    await writeFile(join(root, 'run', 'a', 'b', 'f'), '');
    await symlink(outside, join(root, 'run', 'a', 'to-outside'));
    await symlink(join(outside, 'secret'), join(root, 'run', 'secret-link'));
    await removeConfined(root, join(root, 'run'));
    expect(await readdir(root)).toEqual([]);
    expect(await readdir(outside)).toEqual(['secret']);
  });

  it('removes a link standing for the folder itself, never what it points at', async () => {
    await symlink(outside, join(root, 'run'));
    await removeConfined(root, join(root, 'run'));
    expect(await lstat(join(root, 'run')).catch(() => null)).toBeNull();
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('secret');
  });

  it('is content when there is nothing to remove, the folders above included', async () => {
    await expect(removeConfined(root, join(root, 'none'))).resolves.toBeUndefined();
    await expect(removeConfined(root, join(root, 'none', 'deeper'))).resolves.toBeUndefined();
    await expect(removeConfined(join(base, 'missing-root'), join(base, 'missing-root', 'x'))).resolves.toBeUndefined();
  });

  it('refuses to go through a link on the way, and never removes the trusted folder itself', async () => {
    await symlink(outside, join(root, 'via'));
    await expect(removeConfined(root, join(root, 'via', 'secret'))).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('secret');
    await expect(removeConfined(root, root)).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('stops at a tree nested deeper than Nova ever makes', async () => {
    let p = join(root, 'deep');
    for (let i = 0; i < 20; i++) p = join(p, 'd');
    await mkdir(p, { recursive: true });
    await expect(removeConfined(root, join(root, 'deep'))).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/deeper than 16/) });
  });
});
