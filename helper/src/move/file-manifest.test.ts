import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashTree, manifestProblems, requireWhole } from './file-manifest.js';

const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const file = (path: string, bytes = 0, sha256 = EMPTY_SHA) => ({ path, bytes, sha256 });

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('hashTree', () => {
  it('lists the regular files under a folder by their moved names, links aside', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nv7c-manifest-'));
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'motd'), 'hi\n');
    await writeFile(join(dir, 'empty'), '');
    await symlink('/etc/passwd', join(dir, 'link'));
    expect(await hashTree(dir, 'layer')).toEqual([
      file('layer/empty'),
      file('layer/etc/motd', 3, '98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4'),
    ]);
  });
});

describe('manifestProblems', () => {
  it('is empty when the same files arrived, in any order', () => {
    expect(manifestProblems([file('a'), file('b', 1, 'f'.repeat(64))], [file('b', 1, 'f'.repeat(64)), file('a')])).toEqual([]);
  });

  it('names each file missing, short, changed or unexpected', () => {
    const sent = [file('disk0.qcow2', 10, 'a'.repeat(64)), file('tpm/permall', 5, 'b'.repeat(64)), file('OVMF_VARS.fd', 4, 'c'.repeat(64))];
    const arrived = [file('disk0.qcow2', 8, 'a'.repeat(64)), file('OVMF_VARS.fd', 4, 'd'.repeat(64)), file('extra')];
    expect(manifestProblems(sent, arrived)).toEqual([
      'disk0.qcow2 has 8 bytes here, 10 at the source',
      'tpm/permall did not arrive',
      "OVMF_VARS.fd differs from the source's (SHA-256)",
      'extra arrived but the source did not list it',
    ]);
    expect(() => requireWhole('VM web', sent, arrived)).toThrow('VM web did not arrive whole: disk0.qcow2 has 8 bytes here');
  });
});
