// Reboot detection through the boot-id seam: the first start knows of no earlier boot,
// the same id is no restart, a new id is one (until committed), and a damaged record
// counts as a restart rather than trusting pids from an unknown boot.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHostBoot } from './host-boot.js';

let dir = '';
let idFile = '';
const A = '0b1c2d3e-0000-4000-8000-000000000001';
const B = '0b1c2d3e-0000-4000-8000-000000000002';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv4g-boot-'));
  idFile = join(dir, 'boot_id');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readHostBoot', () => {
  it('tells a first start, the same boot, and a new boot apart', async () => {
    await writeFile(idFile, `${A}\n`);
    const first = await readHostBoot(dir, idFile);
    expect({ previous: first.previous, restarted: first.restarted }).toEqual({ previous: null, restarted: false });
    await first.commit();
    expect((await readHostBoot(dir, idFile)).restarted).toBe(false);

    await writeFile(idFile, `${B}\n`);
    const after = await readHostBoot(dir, idFile);
    expect({ bootId: after.bootId, previous: after.previous, restarted: after.restarted }).toEqual({ bootId: B, previous: A, restarted: true });
    // Not committed (a helper killed during recovery): the next start still knows.
    expect((await readHostBoot(dir, idFile)).restarted).toBe(true);
    await after.commit();
    expect((await readHostBoot(dir, idFile)).restarted).toBe(false);
  });

  it('counts a damaged record as a restart', async () => {
    await writeFile(idFile, A);
    await writeFile(join(dir, 'host-boot.json'), '{"vers');
    expect((await readHostBoot(dir, idFile)).restarted).toBe(true);
  });

  it('refuses a file that holds no boot id', async () => {
    await writeFile(idFile, 'hello world');
    await expect(readHostBoot(dir, idFile)).rejects.toMatchObject({ code: 'internal' });
  });

  it('reads the kernel\'s own boot id by default', async () => {
    expect((await readHostBoot(dir)).bootId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
