// Kernels and initrds in the image library: the test guest's real Debian vmlinux and busybox
// initramfs imported through the CLI are told apart by their headers, kept byte for byte,
// listed with their type, and refused removal while a direct-boot VM uses them, naming it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestGuest, type TestGuest } from './fixtures/guest-builder.js';
import { startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { CLI_BUNDLE } from './helper-harness.js';

const PREFIX = 'nv6i';
const KERNEL = `${PREFIX}-vmlinux`;
const BZIMAGE = `${PREFIX}-vmlinuz`;
const INITRD = `${PREFIX}-initrd`;
const VM = `${PREFIX}-direct`;
let run: OperationHelperRun;
let guest: TestGuest;

function nova(...args: string[]) {
  return spawnSync(process.execPath, [CLI_BUNDLE, '--socket', run.helper.socketPath, '--no-autostart', ...args], { encoding: 'utf8', timeout: 120_000 });
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

beforeAll(async () => {
  guest = await ensureTestGuest();
  run = await startOperationHelper(`${PREFIX}-bootfiles`);
}, 300_000);

afterAll(async () => {
  await run?.client.call('vm.delete', { name: VM, force: true }).catch(() => undefined);
  await run?.stop();
});

describe('kernels and initrds in the library', () => {
  it('imports each as its own type, kept as it came', async () => {
    for (const [file, name] of [
      [guest.vmlinux, KERNEL],
      [guest.bzImage, BZIMAGE],
      [guest.initrdPlain, INITRD],
    ] as const) {
      const imported = nova('image', 'import', file, name);
      expect(imported.stderr).not.toMatch(/error/i);
      expect(imported.status).toBe(0);
    }
    const list = await run.client.call('image.list', {});
    const byName = new Map(list.map((i) => [i.name, i]));
    expect(byName.get(KERNEL)).toMatchObject({ type: 'kernel', format: 'raw', detail: 'ELF vmlinux', sha256: await sha256(guest.vmlinux) });
    expect(byName.get(BZIMAGE)).toMatchObject({ type: 'kernel', detail: 'bzImage', kernelVersion: `${guest.kernelVersion}-amd64` });
    expect(byName.get(INITRD)).toMatchObject({ type: 'initrd', format: 'raw', detail: 'cpio', sha256: await sha256(guest.initrdPlain) });
    expect(nova('image', 'ls').stdout).toMatch(new RegExp(`^kernel +${BZIMAGE} +raw .*bzImage ${guest.kernelVersion}`, 'm'));
  });

  it('are named in a NovaFile by their library names: plan resolves them, and an unknown name is refused where it is written', async () => {
    const dir = await mkdtemp(join(run.dir, 'project-'));
    const file = join(dir, 'NovaFile.toml');
    await writeFile(file, `project = "${PREFIX}"\n[vm.${PREFIX}-tiny]\nkernel = "${KERNEL}"\ninitrd = "${INITRD}"\ncmdline = "console=ttyS0"\n`);
    const plan = nova('plan', '-f', file);
    expect(plan.stderr).toBe('');
    const list = await run.client.call('image.list', {});
    expect(plan.stdout).toContain(`vm.${PREFIX}-tiny.kernel = "${KERNEL}": ${list.find((i) => i.name === KERNEL)!.path}`);
    expect(plan.stdout).toContain(`vm.${PREFIX}-tiny.initrd = "${INITRD}": ${list.find((i) => i.name === INITRD)!.path}`);

    await writeFile(file, `project = "${PREFIX}"\n[vm.${PREFIX}-tiny]\nkernel = "${PREFIX}-vmlinx"\n`);
    const refused = nova('plan', '-f', file);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`${file}:3:1: vm.${PREFIX}-tiny.kernel = "${PREFIX}-vmlinx" is neither a file beside the NovaFile nor an image in the library; closest library kernels: ${KERNEL}`);
  });

  it('refuses removing a kernel or initrd a VM boots, naming the VM', async () => {
    const list = await run.client.call('image.list', {});
    const path = (name: string) => list.find((i) => i.name === name)!.path;
    await run.client.call('vm.create', { name: VM, memory: '128Mi', kernel: path(KERNEL), initrd: path(INITRD), cmdline: guest.cmdline, display: 'none' });
    const after = await run.client.call('image.list', {});
    expect(after.find((i) => i.name === KERNEL)?.usedBy).toEqual([VM]);
    expect(after.find((i) => i.name === INITRD)?.usedBy).toEqual([VM]);
    for (const name of [KERNEL, INITRD]) {
      const refused = nova('image', 'rm', name);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain(`image ${name} is used by VM ${VM}`);
    }
    await run.client.call('vm.delete', { name: VM });
    expect(nova('image', 'rm', INITRD).status).toBe(0);
    expect((await run.client.call('image.list', {})).map((i) => i.name)).not.toContain(INITRD);
  });
});
