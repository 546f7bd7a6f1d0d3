import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartIntents } from './start-intent.js';

const dirs: string[] = [];
afterEach(() => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'nv4s-intent-'));
  dirs.push(dir);
  return dir;
};

describe('start intents', () => {
  it('are pending from begin to end, per kind and name', async () => {
    const dir = join(await tempDir(), 'start-intents');
    const intents = new StartIntents(dir);
    expect(await intents.pending('vm', 'a')).toBeNull();
    await intents.begin('vm', 'a');
    expect(await intents.pending('vm', 'a')).toMatchObject({ kind: 'vm', name: 'a', helperPid: process.pid });
    expect(await intents.pending('capsule', 'a')).toBeNull();
    await intents.end('vm', 'a');
    expect(await intents.pending('vm', 'a')).toBeNull();
    expect(await readdir(dir)).toEqual([]);
  });

  it('count a damaged intent as a start under way (undoing it is safe, adopting it is not)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'capsule-b.json'), '{"kind":"caps');
    expect(await new StartIntents(dir).pending('capsule', 'b')).toMatchObject({ kind: 'capsule', name: 'b' });
  });
});
