// Bad input to passthrough, through the CLI against a helper on a fake device host
// (NOVA_TEST_DEVICE_ROOT): an address that does not parse, a device that does not exist,
// a group with a foreign device, a device another VM holds, and the boot GPU without
// --single-gpu are each refused in words before any write, as the fake kernel's write
// log shows. The holding VM is one whose start the helper paused right after QEMU's
// spawn (NOVA_TEST_PAUSE_AT): its group is bound and reserved, its start not finished.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { TEST_WRITE_LOG } from '../src/devices/test-device-host.js';
import { bindLog } from '../src/devices/testing/binder-fixture.js';
import { FakeSysfs, GPU, GPU_AUDIO, gpuWithAudio, hostGpu } from '../src/devices/testing/fake-sysfs.js';
import { killRunLeftovers } from './fixtures/nobody-vm-helper.js';
import { pausedStart } from './fixtures/paused-start.js';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const BOOT_GPU = '0000:03:00.0';
const FOREIGN_GPU = '0000:05:00.0';
const SATA = '0000:06:00.0';
const HOLDER = 'nv6h-holder';
const SECOND = 'nv6h-second';
const STEP = 'vm-start:after-spawn';
let dir = '';
let fs: FakeSysfs | null = null;
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;

function nova(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = [CLI_BUNDLE, '--socket', helper!.socketPath, '--no-autostart', ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

const writeLog = (): string[] => (existsSync(join(fs!.root, TEST_WRITE_LOG)) ? (JSON.parse(readFileSync(join(fs!.root, TEST_WRITE_LOG), 'utf8')) as string[]) : []);

/** The CLI refuses (non-zero exit, the words on stderr) and the fake kernel saw no write. */
async function refusedWithoutWrites(args: string[], words: string | RegExp): Promise<void> {
  const before = writeLog();
  const r = await nova(args);
  expect(r.code, `nova ${args.join(' ')}: ${r.stdout}`).not.toBe(0);
  expect(r.stderr).toMatch(words);
  expect(writeLog()).toEqual(before);
}

describe.skipIf(process.getuid?.() !== 0)('passthrough refusals on a fake device host', () => {
  beforeAll(async () => {
    dir = await makeTestDir('nv6h-refuse');
    fs = hostGpu(gpuWithAudio(new FakeSysfs({ prefix: 'nv6h-sysfs-' }).withIommu().vfioModule()))
      .pci({ address: FOREIGN_GPU, vendor: 0x10de, device: 0x1b80, classCode: 0x030000, driver: 'nouveau', group: 5 })
      .pci({ address: SATA, vendor: 0x8086, device: 0x2922, classCode: 0x010601, driver: 'ahci', group: 5 })
      .driver('vfio-pci');
    helper = await startHelper(dir, {
      extraArgs: ['--allowed-root', dir],
      env: { NOVA_TEST_HOOKS: '1', NOVA_TEST_DEVICE_ROOT: fs.root, NOVA_TEST_PAUSE_AT: STEP, NOVA_TEST_PAUSE_SIGNAL: join(dir, 'paused') },
    });
    client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
    client.start();
    await client.waitForConnection();
  });

  afterAll(async () => {
    client?.close();
    // Paused inside a start: nothing there would finish, so the helper is killed.
    await helper?.kill('SIGKILL').catch(() => undefined);
    if (dir) await killRunLeftovers(dir);
    if (dir) await removeTestDir(dir);
    fs?.cleanup();
  });

  it('an address that does not parse, naming the syntax', async () => {
    await refusedWithoutWrites(['device', 'prepare', '01:00'], /"01:00" is not a PCI address; use domain:bus:device\.function/);
  });

  it('a device that does not exist', async () => {
    await refusedWithoutWrites(['device', 'prepare', '0000:7f:00.0'], /No PCI device 0000:7f:00\.0 on this host/);
  });

  it('a group that holds a device of the host, naming it', async () => {
    await refusedWithoutWrites(['device', 'prepare', FOREIGN_GPU], new RegExp(`IOMMU group 5 is not viable.*${SATA.replace(/\./g, '\\.')}`, 's'));
  });

  it('the boot GPU without --single-gpu', async () => {
    await refusedWithoutWrites(['device', 'prepare', BOOT_GPU], /is the boot GPU \(boot_vga=1\).*Refused unless single-GPU mode is asked for/s);
  });

  it('a device whose group another VM holds: a second VM and a prepare are both refused, naming the VM', async () => {
    const c = client!;
    for (const [name, address] of [[HOLDER, GPU], [SECOND, GPU_AUDIO]] as const) {
      await c.call('vm.create', { name, diskSize: '16Mi', accel: 'tcg', display: 'none', devices: [{ address }] });
    }
    await pausedStart(join(dir, 'paused'), STEP, helper!.process.pid, () => c.call('vm.start', { name: HOLDER }));
    expect(writeLog()).toEqual(bindLog([GPU, GPU_AUDIO]));
    await refusedWithoutWrites(['vm', 'start', SECOND], new RegExp(`${GPU_AUDIO.replace(/\./g, '\\.')} \\(IOMMU group 1\\) is in use by VM ${HOLDER}`));
    expect((await c.call('vm.get', { name: SECOND })).state).toBe('stopped');
    await refusedWithoutWrites(['device', 'release', GPU], new RegExp(`held by VM ${HOLDER}; stop the VM first`));
    await refusedWithoutWrites(['device', 'prepare', GPU_AUDIO, '--policy', 'restore'], new RegExp(`held by VM ${HOLDER}`));
  });
});
