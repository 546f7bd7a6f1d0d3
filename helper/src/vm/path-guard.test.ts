import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathGuard } from './path-guard.js';

let dir = '';
let guard: PathGuard;
const at = (...parts: string[]) => join(dir, ...parts);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv12w-guard-'));
  await mkdir(at('root/disks'), { recursive: true });
  await mkdir(at('outside'));
  await writeFile(at('root/disks/ok.img'), 'x');
  await writeFile(at('outside/secret.img'), 'x');
  await symlink(at('outside/secret.img'), at('root/to-secret.img'));
  await symlink(at('outside/missing.img'), at('root/to-missing.img'));
  await symlink(at('outside'), at('root/out-dir'));
  await symlink(at('root/disks'), at('root/in-dir'));
  await symlink(at('root'), at('root-link'));
  guard = new PathGuard([at('root')]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refusal(path: string): Promise<{ code: string; message: string }> {
  try {
    await guard.existingFile('image', path);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error(`${path} was accepted`);
}

describe('PathGuard', () => {
  it('accepts a file under a root, and refuses one reached through a link even when it stays inside', async () => {
    expect(await guard.existingFile('image', at('root/disks/ok.img'))).toBe(at('root/disks/ok.img'));
    expect(await refusal(at('root/in-dir/ok.img'))).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('symbolic link') });
  });

  it('refuses a link out of the roots the same way whether its target exists, and never names the target', async () => {
    const secret = await refusal(at('root/to-secret.img'));
    const missing = await refusal(at('root/to-missing.img'));
    const viaDir = await refusal(at('root/out-dir/secret.img'));
    const viaDirMissing = await refusal(at('root/out-dir/missing.img'));
    for (const r of [secret, missing, viaDir, viaDirMissing]) {
      expect(r.code).toBe('invalid_argument');
      expect(r.message).not.toContain(at('outside'));
    }
    expect(secret.message.replace('to-secret', 'X')).toBe(missing.message.replace('to-missing', 'X'));
    expect(viaDir.message.replace('secret', 'X')).toBe(viaDirMissing.message.replace('missing', 'X'));
  });

  it('refuses a path outside the roots the same way whether it exists', async () => {
    const exists = await refusal(at('outside/secret.img'));
    const absent = await refusal(at('outside/missing.img'));
    expect(exists.code).toBe('invalid_argument');
    expect(exists.message.replace('secret', 'X')).toBe(absent.message.replace('missing', 'X'));
    expect((await refusal(at('root/../outside/secret.img'))).code).toBe('invalid_argument');
  });

  it('says plainly that a file missing in a plain folder of a root does not exist', async () => {
    expect(await refusal(at('root/disks/typo.img'))).toMatchObject({ code: 'not_found', message: expect.stringContaining('does not exist') });
  });

  it('marks the path errors of an import as such, and only those', async () => {
    const opened = (purpose?: 'import') => guard.open('the file to import', at('root/disks/typo.img'), purpose ? { purpose } : {}).then(() => null, (err: unknown) => err as { details: Record<string, unknown> });
    expect((await opened('import'))?.details).toMatchObject({ path: at('root/disks/typo.img'), openedFor: 'import' });
    expect((await opened())?.details).not.toHaveProperty('openedFor');
  });

  it('takes a path spelled through the real folder of a root given by a link', async () => {
    const viaLink = new PathGuard([at('root-link')]);
    expect(await viaLink.existingFile('image', at('root/disks/ok.img'))).toBe(at('root/disks/ok.img'));
  });
});
