// `nova device bind` and `restore` on this very machine, which has no IOMMU: the bind
// refuses with that reason and the way to turn it on, before any change, and Nova
// records no binding; restoring a device Nova never bound changes nothing.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, makeTestDir, removeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const isRoot = process.getuid?.() === 0;
const noIommu = readdirSync('/sys/kernel/iommu_groups').length === 0;
let dir = '';
let helper: RunningHelper;

function nova(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_BUNDLE, '--socket', helper.socketPath, '--no-autostart', ...args], { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

describe.skipIf(!isRoot || !noIommu)('device bind on this machine (no IOMMU)', () => {
  beforeAll(async () => {
    dir = await makeTestDir('nv10b-bind');
    helper = await startHelper(dir);
  });

  afterAll(async () => {
    await helper?.stop();
    if (dir) await removeTestDir(dir);
  });

  it('refuses to bind any device, saying the IOMMU is off, and records nothing', async () => {
    const address = readdirSync('/sys/bus/pci/devices').sort()[0]!;
    const driverBefore = readdirSync(`/sys/bus/pci/devices/${address}`).includes('driver');
    const r = await nova(['device', 'bind', address]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${address} is in no IOMMU group: the IOMMU is off`);
    expect(readdirSync(`/sys/bus/pci/devices/${address}`).includes('driver')).toBe(driverBefore);
    const restore = await nova(['device', 'restore', address]);
    expect(restore.stderr).toContain('no IOMMU group');
    const none = await nova(['device', 'bind', '0000:7f:1f.7']);
    expect(none.stderr).toContain('No PCI device 0000:7f:1f.7');
  });
});
