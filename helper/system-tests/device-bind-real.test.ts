// `nova device prepare` (and its dry run), `release`, and their old names bind and
// restore, on this very machine, which has no IOMMU: each refuses with that reason
// before any change, and Nova records no binding.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
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

  it('prepare and its dry run refuse every device, saying the IOMMU is off, and change nothing', async () => {
    const addresses = readdirSync('/sys/bus/pci/devices').sort();
    const snapshot = () =>
      addresses.map((a) => {
        const dev = `/sys/bus/pci/devices/${a}`;
        return [a, readdirSync(dev).includes('driver') ? readlinkSync(`${dev}/driver`) : null, readFileSync(`${dev}/driver_override`, 'utf8')];
      });
    const before = snapshot();
    for (const address of addresses) {
      for (const args of [['device', 'prepare', address], ['device', 'prepare', address, '--dry-run']]) {
        const r = await nova(args);
        expect(r.code, args.join(' ')).not.toBe(0);
        expect(r.stderr).toContain(`${address} is in no IOMMU group: the IOMMU is off`);
      }
    }
    expect(snapshot()).toEqual(before);
    expect(readdirSync(helper.stateDir).includes('devices') ? readdirSync(join(helper.stateDir, 'devices', 'bindings')) : []).toEqual([]);
    const release = await nova(['device', 'release', addresses[0]!]);
    expect(release.stderr).toContain('no IOMMU group');
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
