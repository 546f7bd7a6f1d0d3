// An image a VM uses: `image.list` names the VM, and `nova image rm` refuses, naming it,
// until the VM is gone. Against the real helper and qemu-img, through the CLI.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSparseDisk } from './fixtures/frozen-child.js';
import { startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { CLI_BUNDLE } from './helper-harness.js';

const PREFIX = 'nv11i';
const IMAGE = `${PREFIX}-base`;
const VM = `${PREFIX}-user`;
let run: OperationHelperRun;

function nova(...args: string[]) {
  return spawnSync(process.execPath, [CLI_BUNDLE, '--socket', run.helper.socketPath, '--no-autostart', ...args], { encoding: 'utf8', timeout: 120_000 });
}

beforeAll(async () => {
  run = await startOperationHelper(`${PREFIX}-inuse`);
  await writeSparseDisk(join(run.dir, 'base.raw'), 1, 4);
  expect(nova('image', 'import', join(run.dir, 'base.raw'), IMAGE, '--kind', 'vm').status).toBe(0);
}, 60_000);

afterAll(async () => {
  await run?.stop();
});

describe('an image in use', () => {
  it('is listed with the VM that uses it, and cannot be removed meanwhile', async () => {
    const image = (await run.client.call('image.list', {})).find((i) => i.name === IMAGE)!;
    expect(image.usedBy).toEqual([]);
    await run.client.call('vm.create', { name: VM, memory: '128Mi', image: image.path, display: 'none' });
    expect((await run.client.call('image.list', {})).find((i) => i.name === IMAGE)?.usedBy).toEqual([VM]);
    expect(nova('image', 'ls').stdout).toMatch(new RegExp(`${IMAGE} .*used by ${VM}`));

    const refused = nova('image', 'rm', IMAGE);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`image ${IMAGE} is used by VM ${VM}`);
    expect((await run.client.call('image.list', {})).map((i) => i.name)).toContain(IMAGE);
  });

  it('is removed once the VM is gone', async () => {
    await run.client.call('vm.delete', { name: VM });
    const removed = nova('image', 'rm', IMAGE);
    expect(removed.stderr).toBe('');
    expect(removed.stdout).toBe(`removed ${IMAGE} (VM image)\n`);
    expect(await run.client.call('image.list', {})).toEqual([]);
  });
});
