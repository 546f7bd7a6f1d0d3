// Importing a file by the caller's own descriptor: `nova image import`, run as an
// unprivileged user, opens the file itself and hands it to the real helper, so a file
// of theirs outside the helper's allowed folders imports (the same path named for the
// helper to open is refused), while a file they cannot read, or a descriptor they opened
// only for writing, is refused with a clear error and leaves nothing in the library.
import { spawnSync } from 'node:child_process';
import { chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../../src-shared/actions.js';
import { startNobodyHelper, type NobodyHelperRun } from './fixtures/nobody-helper.js';
import { rawCall, REPO, request, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv11i';
const NOBODY = 65534;
const MIB = 1024 * 1024;
const AS_NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
const CLI = join(REPO, 'out/cli/nova.mjs');
const ADDON = join(REPO, 'out/helper/peercred.node');

let inside = '';
let outside = '';
let run: NobodyHelperRun;
let helper: RunningHelper;

function novaAsNobody(...args: string[]) {
  return spawnSync('setpriv', [...AS_NOBODY, process.execPath, CLI, '--socket', helper.socketPath, '--no-autostart', ...args], { encoding: 'utf8', timeout: 60_000, cwd: '/' });
}

beforeAll(async () => {
  run = await startNobodyHelper(`${PREFIX}-fd`, { vm: POLKIT_ACTIONS.vmManage, vmview: POLKIT_ACTIONS.vmView }, async (dir) => {
    inside = join(dir, 'inside');
    outside = join(dir, 'outside');
    await mkdir(inside, { mode: 0o755 });
    await mkdir(outside, { mode: 0o755 });
    // nobody's own files, readable by nobody alone, outside every allowed folder.
    for (const [file, text] of [['nobodys.raw', 'NV11I-DISK\n'], ['nobodys.iso', 'NV11I-ISO\n']] as const) {
      await writeFile(join(outside, file), Buffer.alloc(MIB, text), { mode: 0o600 });
      await chown(join(outside, file), NOBODY, NOBODY);
    }
    await writeFile(join(outside, 'root-only.raw'), Buffer.alloc(MIB, 'NV11I-ROOT\n'), { mode: 0o600 });
    // nobody may write it but not read it: a write-only descriptor is all nobody can hold.
    await writeFile(join(outside, 'write-only.raw'), Buffer.alloc(MIB, 'NV11I-WO\n'), { mode: 0o200 });
    await chown(join(outside, 'write-only.raw'), NOBODY, NOBODY);
    return ['--allowed-root', inside];
  });
  helper = run.helper;
}, 120_000);

afterAll(async () => {
  await run?.stop();
});

describe('import by the caller\'s descriptor', () => {
  it("imports nobody's disk and ISO from outside the allowed folders, as nobody", async () => {
    const disk = novaAsNobody('image', 'import', join(outside, 'nobodys.raw'), `${PREFIX}-disk`, '--kind', 'vm');
    expect(disk.stderr).not.toMatch(/error/i);
    expect(disk.status).toBe(0);
    expect(disk.stdout).toMatch(new RegExp(`imported ${PREFIX}-disk as a VM image .*qcow2, 1\\.0Mi`));
    const iso = novaAsNobody('image', 'import', join(outside, 'nobodys.iso'), `${PREFIX}-iso`, '--kind', 'vm', '--json');
    expect(iso.status).toBe(0);
    expect(JSON.parse(iso.stdout)).toMatchObject({ name: `${PREFIX}-iso`, format: 'iso', virtualSize: MIB });
    const { replies } = await rawCall(helper.socketPath, [request(1, 'image.list', {})], true);
    expect((replies[0]?.result as Array<{ name: string }>).map((i) => i.name)).toEqual([`${PREFIX}-disk`, `${PREFIX}-iso`]);
  });

  it('refuses the same file named by path, since the helper opens paths only inside the allowed folders', async () => {
    const { replies } = await rawCall(helper.socketPath, [request(1, 'image.import', { path: join(outside, 'nobodys.raw'), name: `${PREFIX}-bypath` })], true);
    expect(replies[0]?.error).toMatchObject({ data: { code: expect.stringMatching(/not_authorized|invalid_argument/), message: expect.stringContaining('allowed') } });
  });

  it('refuses a file nobody cannot read, saying so', async () => {
    const r = novaAsNobody('image', 'import', join(outside, 'root-only.raw'), `${PREFIX}-root`, '--kind', 'vm');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`Cannot read ${join(outside, 'root-only.raw')}: you do not have the right to read it`);
  });

  it('refuses a descriptor opened only for writing', async () => {
    const r = spawnSync('setpriv', [...AS_NOBODY, process.execPath, join(REPO, 'helper/system-tests/fixtures/hand-over-write-only.mjs'), ADDON, helper.socketPath, join(outside, 'write-only.raw'), `${PREFIX}-wo`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { data: { code: 'not_authorized', message: expect.stringContaining('was not opened for reading') } } });
  });

  it('kept nothing but the two imports', async () => {
    const files = await readdir(join(helper.stateDir, 'images'));
    expect(files.sort()).toEqual([`${PREFIX}-disk.json`, `${PREFIX}-disk.qcow2`, `${PREFIX}-iso.iso`, `${PREFIX}-iso.json`]);
  });
});
