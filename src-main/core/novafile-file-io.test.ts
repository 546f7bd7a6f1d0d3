import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readNovaFileText, writeNovaFileText } from './novafile-file-io.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nv9w-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readNovaFileText', () => {
  it('reads a folder as its NovaFile.toml', async () => {
    await writeFile(path.join(dir, 'NovaFile.toml'), 'project = "lab"\n');
    expect(await readNovaFileText(dir)).toEqual({ file: path.join(dir, 'NovaFile.toml'), text: 'project = "lab"\n' });
  });

  it('refuses a FIFO without blocking on it', async () => {
    const fifo = path.join(dir, 'pipe.toml');
    execFileSync('mkfifo', [fifo]);
    await expect(readNovaFileText(fifo)).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('not a regular file') });
  });

  it('refuses a file that is not .toml, so no other file of the user is read', async () => {
    const key = path.join(dir, 'id_ed25519');
    await writeFile(key, 'secret');
    await expect(readNovaFileText(key)).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('not a .toml file') });
  });

  it('says when nothing is there', async () => {
    await expect(readNovaFileText(path.join(dir, 'none'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('writeNovaFileText', () => {
  it('replaces the file, keeps its mode and leaves no temp file', async () => {
    const file = path.join(dir, 'NovaFile.toml');
    await writeFile(file, 'old\n', { mode: 0o640 });
    await writeNovaFileText(file, 'new\n');
    expect(await readFile(file, 'utf8')).toBe('new\n');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['NovaFile.toml']);
  });

  it('refuses to create a file that is not there', async () => {
    await expect(writeNovaFileText(path.join(dir, 'NovaFile.toml'), 'x')).rejects.toMatchObject({ code: 'not_found' });
  });
});
