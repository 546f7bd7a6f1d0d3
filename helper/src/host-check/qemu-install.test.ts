import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkQemuInstall, parseQemuVersion } from './qemu-install.js';
import { FakeHost, isCall } from './testing/fake-host.js';
import { QEMU_IMG_VERSION, QEMU_VERSION } from './testing/host-fixtures.js';

let host: FakeHost;
beforeEach(async () => {
  host = await FakeHost.create();
});
afterEach(async () => host.dispose());

function byId(items: HostCheckItem[], id: string): HostCheckItem {
  const item = items.find((i) => i.id === id);
  if (!item) throw new Error(`no item ${id}`);
  return item;
}

describe('QEMU installation', () => {
  it('reports versions, sibling emulators and OVMF images', async () => {
    await host.tool('/usr/bin/qemu-system-x86_64');
    await host.tool('/usr/bin/qemu-system-i386');
    await host.tool('/usr/bin/qemu-system-aarch64');
    await host.tool('/usr/bin/qemu-img');
    await host.file('/usr/share/OVMF/OVMF_CODE_4M.fd');
    await host.file('/usr/share/OVMF/OVMF_CODE_4M.secboot.fd');
    await host.file('/usr/share/OVMF/OVMF_VARS_4M.fd');
    host.onRun((argv) => {
      if (isCall(argv, 'qemu-system-x86_64', '--version')) return { stdout: QEMU_VERSION };
      if (isCall(argv, 'qemu-img', '--version')) return { stdout: QEMU_IMG_VERSION };
      return undefined;
    });
    const items = await checkQemuInstall(host.env());
    const qemu = byId(items, 'qemu');
    expect(qemu.status).toBe('ok');
    expect(qemu.summary).toBe('qemu-system-x86_64 7.2.22');
    expect(qemu.evidence[1]).toBe('other system emulators: qemu-system-aarch64, qemu-system-i386');
    expect(byId(items, 'qemu-img').summary).toBe('qemu-img 7.2.22');
    const ovmf = byId(items, 'ovmf');
    expect(ovmf.status).toBe('ok');
    expect(ovmf.summary).toBe('2 OVMF firmware images, Secure Boot capable');
    expect(ovmf.evidence).toEqual(['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd']);
  });

  it('fails without QEMU and warns that UEFI VMs are unavailable without OVMF', async () => {
    const items = await checkQemuInstall(host.env());
    expect(byId(items, 'qemu').status).toBe('fail');
    expect(byId(items, 'qemu').remedy).toMatch(/apt install qemu-system-x86/);
    expect(byId(items, 'qemu-img').status).toBe('fail');
    const ovmf = byId(items, 'ovmf');
    expect(ovmf.status).toBe('warn');
    expect(ovmf.summary).toMatch(/UEFI VMs .* unavailable/);
    expect(ovmf.remedy).toMatch(/apt install ovmf/);
  });

  it('fails a QEMU that is installed but cannot start', async () => {
    await host.tool('/usr/bin/qemu-system-x86_64');
    host.onRun((argv) =>
      isCall(argv, 'qemu-system-x86_64')
        ? { exitCode: 127, stderr: 'qemu-system-x86_64: error while loading shared libraries: libslirp.so.0\n' }
        : undefined,
    );
    const qemu = byId(await checkQemuInstall(host.env()), 'qemu');
    expect(qemu.status).toBe('fail');
    expect(qemu.evidence[0]).toMatch(/exit 127: .*libslirp/);
  });

  it('parses QEMU version lines', () => {
    expect(parseQemuVersion('QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)')).toBe('8.2.2');
    expect(parseQemuVersion('qemu-img version 9.0.0')).toBe('9.0.0');
  });
});
