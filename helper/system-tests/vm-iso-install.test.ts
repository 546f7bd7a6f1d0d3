// An ISO install, end to end under TCG with a tiny installer made at test time: an El
// Torito no-emulation boot image (assembled with binutils) that writes a boot sector to
// the VM's first disk through the BIOS and restarts the machine, as an installer does.
// The VM boots from the CD, Nova sees the guest restart with an installed disk and offers
// to eject the CD, the CD is ejected through QMP, and the next boot is from the disk;
// a fresh start then puts the installed disk first while the ISO is still in.
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmManager } from '../src/vm/vm-manager.js';
import { waitForLogText } from './fixtures/guest-serial.js';
import { startVmTestRun, type VmTestRun } from './fixtures/guest-vm-harness.js';
import { vmSpec, vmUpdate } from './fixtures/contract-params.js';
import { waitFor } from './fixtures/wait-for.js';

/**
 * Loaded by the BIOS at 0:7c00 from the CD. If the first disk has no boot signature yet,
 * it writes the second 512 bytes of this image there (a boot sector that prints
 * NV11H-DISK-BOOTED on COM1) and resets through the keyboard controller; otherwise it
 * says it was booted again and halts.
 */
const INSTALLER = `.code16
start:
  cli
  xor %ax,%ax
  mov %ax,%ds
  mov %ax,%es
  mov %ax,%ss
  mov $0x7c00,%sp
  sti
  mov $0x0201,%ax
  mov $0x0001,%cx
  mov $0x0080,%dx
  mov $0x8000,%bx
  int $0x13
  cmpw $0xaa55,0x81fe
  je again
  mov $0x0301,%ax
  mov $0x0001,%cx
  mov $0x0080,%dx
  mov $(0x7c00+diskboot-start),%bx
  int $0x13
  mov $(0x7c00+installed-start),%si
  call print
  mov $0xfe,%al
  out %al,$0x64
hang:
  hlt
  jmp hang
again:
  mov $(0x7c00+booted_again-start),%si
  call print
  jmp hang
print:
  lodsb
  test %al,%al
  jz done
  mov $0x3f8,%dx
  out %al,%dx
  jmp print
done:
  ret
installed: .asciz "NV11H-INSTALLED\\r\\n"
booted_again: .asciz "NV11H-INSTALLER-AGAIN\\r\\n"
.org 512
diskboot:
  xor %ax,%ax
  mov %ax,%ds
  mov $(0x7c00+message-diskboot),%si
next:
  lodsb
  test %al,%al
  jz stop
  mov $0x3f8,%dx
  out %al,%dx
  jmp next
stop:
  hlt
  jmp stop
message: .asciz "NV11H-DISK-BOOTED\\r\\n"
.org 1022
.word 0xaa55
.org 2048
`;

const name = 'nv11h-install';
let run: VmTestRun;
let vms: VmManager;
let iso: string;

async function makeInstallerIso(dir: string): Promise<string> {
  const work = join(dir, 'installer');
  await mkdir(join(work, 'tree', 'boot'), { recursive: true });
  await writeFile(join(work, 'installer.s'), INSTALLER);
  await execa('as', ['--32', '-o', join(work, 'installer.o'), join(work, 'installer.s')], { timeout: 30_000 });
  await execa('objcopy', ['-O', 'binary', '-j', '.text', join(work, 'installer.o'), join(work, 'tree', 'boot', 'installer.img')], { timeout: 30_000 });
  const out = join(dir, 'nv11h-installer.iso');
  // No emulation, four 512-byte sectors loaded at 0:7c00: the installer and the boot sector it writes.
  await execa('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'NV11H', '-b', 'boot/installer.img', '-no-emul-boot', '-boot-load-size', '4', '-o', out, join(work, 'tree')], { timeout: 30_000 });
  return out;
}

const serialLog = async () => (await vms.consoleInfo(name)).serialLog;

beforeAll(async () => {
  run = await startVmTestRun('nv11h');
  vms = await run.manager();
  iso = await makeInstallerIso(run.dir);
  await vms.create(vmSpec({ name, cpus: 1, memory: '64Mi', diskSize: '8Mi', iso, display: 'none', osType: 'other' }));
}, 300_000);

afterAll(async () => {
  await run?.cleanup();
});

describe('an ISO install', () => {
  it('boots from the CD, whose installer writes the disk and restarts the guest; Nova then offers to eject the CD', async () => {
    await vms.start(name);
    await waitForLogText(await serialLog(), 'NV11H-INSTALLED', 60_000);
    // After its restart the guest boots the CD again, which finds the disk installed.
    await waitForLogText(await serialLog(), 'NV11H-INSTALLER-AGAIN', 60_000);
    await waitFor(async () => (await vms.get(name)).ejectSuggested === true, 15_000, 'the offer to eject the CD');
    expect(run.events.filter((e) => e.name === name).map((e) => e.reason)).toContain('the guest restarted after installing from its CD: eject the CD so it boots from its disk');
  }, 150_000);

  it('ejects the CD through QMP, and the next boot is from the disk', async () => {
    const info = await vms.update(vmUpdate({ name, devices: [{ op: 'cd.eject' }] }));
    expect(info.ejectSuggested).toBe(false);
    expect(info.definition.iso).toBeNull();
    const blocks = await vms.qmpOf(name).execute<Array<{ qdev?: string; inserted?: unknown }>>('query-block');
    expect(blocks.find((b) => b.qdev?.includes('cd0-dev'))).toMatchObject({ qdev: expect.stringContaining('cd0-dev') });
    expect(blocks.find((b) => b.qdev?.includes('cd0-dev'))?.inserted).toBeUndefined();
    await vms.reboot(name);
    await waitForLogText(await serialLog(), 'NV11H-DISK-BOOTED', 60_000);
  }, 120_000);

  it('puts the installed disk before the CD at a fresh start, while the ISO is still in', async () => {
    await vms.stop(name, { force: true });
    await vms.update(vmUpdate({ name, devices: [{ op: 'cd.insert', path: iso }] }));
    await vms.start(name);
    await waitForLogText(await serialLog(), 'NV11H-DISK-BOOTED', 60_000);
    const text = await execa('cat', [await serialLog()]).then((r) => r.stdout);
    expect(text).not.toContain('NV11H-INSTALLER');
    expect((await vms.get(name)).ejectSuggested).toBe(false);
  }, 120_000);
});
