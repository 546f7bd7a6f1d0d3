import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KernelFiles } from './kernel-files.js';

describe('KernelFiles', () => {
  let dir: string;
  let files: KernelFiles;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nv9p-kfiles-'));
    files = new KernelFiles();
  });
  afterEach(async () => {
    files.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file again through the descriptor it keeps, seeing what changed', async () => {
    const path = join(dir, 'stat');
    await writeFile(path, 'usage 1\n');
    expect(files.read(path)).toBe('usage 1\n');
    await writeFile(path, 'usage 22\n');
    expect(files.read(path)).toBe('usage 22\n');
    expect(files.size).toBe(1);
  });

  it('reads files longer than its buffer whole', async () => {
    const path = join(dir, 'dev');
    const text = 'eth0: 1 2 3\n'.repeat(5000);
    await writeFile(path, text);
    expect(files.read(path)).toBe(text);
  });

  it('gives null for a file that is not there, and keeps nothing for it', () => {
    expect(files.read(join(dir, 'gone'))).toBeNull();
    expect(files.size).toBe(0);
  });

  it('closes, at the second sweep, the descriptors no one read since the first', async () => {
    const kept = join(dir, 'kept');
    const dropped = join(dir, 'dropped');
    await writeFile(kept, '1');
    await writeFile(dropped, '2');
    files.read(kept);
    files.read(dropped);
    files.sweep();
    files.read(kept);
    files.sweep();
    expect(files.size).toBe(1);
    expect(files.read(dropped)).toBe('2');
  });

  it('serves one reading to every caller within the age given', async () => {
    const path = join(dir, 'net-dev');
    await writeFile(path, 'a');
    expect(files.recent(path, 200, 1000)).toBe('a');
    await writeFile(path, 'b');
    expect(files.recent(path, 200, 1100)).toBe('a');
    expect(files.recent(path, 200, 1300)).toBe('b');
  });
});
