import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RecordStore, type RecordFormat } from './record-store.js';

const Pet = z.strictObject({ version: z.literal(2), name: z.string(), legs: z.number().int() });
type Pet = z.infer<typeof Pet>;
const PET: RecordFormat<Pet> = {
  what: 'pet record',
  version: 2,
  schema: Pet,
  migrations: { 1: ({ name, feet }) => ({ name, legs: feet }) },
};

let dir = '';
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'nv8rs-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('RecordStore', () => {
  it('writes versioned JSON a person can read, and reads it back', async () => {
    const store = new RecordStore(PET, dir);
    await store.save('rex', { version: 2, name: 'rex', legs: 4 });
    expect(JSON.parse(await readFile(join(dir, 'rex.json'), 'utf8'))).toEqual({ version: 2, name: 'rex', legs: 4 });
    expect(await store.load('rex')).toEqual({ version: 2, name: 'rex', legs: 4 });
    expect(await store.load('missing')).toBeNull();
    expect(await store.names()).toEqual(['rex']);
  });

  it('migrates an older record forward and writes it back in the new version', async () => {
    await writeFile(join(dir, 'old.json'), JSON.stringify({ version: 1, name: 'old', feet: 3 }));
    const store = new RecordStore(PET, dir);
    expect(await store.load('old')).toEqual({ version: 2, name: 'old', legs: 3 });
    expect(JSON.parse(await readFile(join(dir, 'old.json'), 'utf8'))).toMatchObject({ version: 2, legs: 3 });
  });

  it('refuses a record from a newer Nova rather than guessing', async () => {
    await writeFile(join(dir, 'new.json'), JSON.stringify({ version: 3, name: 'new', legs: 1 }));
    await expect(new RecordStore(PET, dir).load('new')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/newer Nova/) });
  });

  it('names damaged records apart, so one bad file hides nothing else', async () => {
    const store = new RecordStore(PET, dir);
    await store.save('good', { version: 2, name: 'good', legs: 2 });
    await writeFile(join(dir, 'cut.json'), '{"version": 2, "na');
    await writeFile(join(dir, 'empty.json'), '');
    await writeFile(join(dir, 'wrong.json'), JSON.stringify({ version: 2, name: 'wrong', legs: 'many' }));
    const { records, damaged } = await store.loadAll();
    expect([...records.keys()]).toEqual(['good']);
    expect(damaged.map((d) => [d.name, d.problem])).toEqual([
      ['cut', expect.stringMatching(/^not valid JSON/)],
      ['empty', 'it is empty'],
      ['wrong', expect.stringMatching(/at "legs"$/)],
    ]);
  });

  it('never turns a name into a path outside its folder', async () => {
    const store = new RecordStore(PET, dir);
    for (const bad of ['../etc/passwd', '.hidden', 'a/b', '..']) expect(() => store.fileOf(bad)).toThrow(/not a valid pet record name/);
  });
});
