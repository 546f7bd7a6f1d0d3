import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../util/logger.js';
import { findScratchProcesses, sweepScratch } from './probe-scratch.js';
import { FakeHost, isCall } from './testing/fake-host.js';

let host: FakeHost;
let scratch: string;
beforeEach(async () => {
  host = await FakeHost.create();
  scratch = host.at('/var/lib/nova/host-check.tmp');
});
afterEach(async () => host.dispose());

describe('probe scratch sweep', () => {
  it('creates the scratch dir and does nothing else when it is clean', async () => {
    await sweepScratch(host.env(), scratch, silentLogger());
    expect(await readdir(scratch)).toEqual([]);
    expect(host.calls).toEqual([]);
    expect(host.killed).toEqual([]);
  });

  it('kills probes, deletes containers and removes files that a killed helper left', async () => {
    await host.tool('/usr/sbin/runc');
    host.onRun((argv) => (isCall(argv, 'runc', '--root') ? { exitCode: 0 } : undefined));
    const boot = join(scratch, 'nv2h-boot-kvm-abc');
    const oci = join(scratch, 'nv2h-oci-runc-def');
    await mkdir(boot, { recursive: true });
    await writeFile(join(boot, 'boot.img'), '');
    await mkdir(join(oci, 'state', 'nv2h-runc-77-0a0b0c0d'), { recursive: true });
    await host.file('/proc/4100/cmdline', `/usr/bin/qemu-system-x86_64\0-accel\0kvm\0-drive\0file=${boot}/boot.img,format=raw,if=floppy\0`);
    await host.file('/proc/4200/cmdline', '/usr/bin/qemu-system-x86_64\0-drive\0file=/home/ana/vm.qcow2\0');
    await host.file(`/proc/4300/cmdline`, `/usr/bin/sleep\0${scratch}2/x\0`);

    expect(await findScratchProcesses(host.env(), scratch)).toEqual([4100]);
    await sweepScratch(host.env(), scratch, silentLogger());

    expect(host.killed).toEqual([4100]);
    expect(host.calls).toEqual([
      [host.at('/usr/sbin/runc'), '--root', join(oci, 'state'), 'delete', '-f', 'nv2h-runc-77-0a0b0c0d'],
    ]);
    expect(await readdir(scratch)).toEqual([]);
  });
});
