// The Devices page against real helpers: this machine's own PCI devices (no IOMMU here,
// so every one is blocked and a prepare is refused with that reason), and a fake device
// host (a helper started with NOVA_TEST_DEVICE_ROOT, writing through the kernel model):
// a non-viable group shows its blocker, and a viable GPU is prepared after the dry run
// listed the very writes Apply then made, and released again.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { TEST_WRITE_LOG } from '../helper/src/devices/test-device-host.js';
import { bindLog, restoreLog } from '../helper/src/devices/testing/binder-fixture.js';
import { FakeSysfs, GPU, GPU_AUDIO, ROOT_PORT, gpuWithAudio, hostGpu } from '../helper/src/devices/testing/fake-sysfs.js';
import { DevicesPage } from './pages/devices-page.js';
import { seriousAxeViolations } from './support/axe.js';
import { type FakeDeviceHost, withFakeDeviceHost } from './support/fake-device-host.js';
import { test as base, expect } from './support/fixtures.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const FOREIGN_GPU = '0000:05:00.0';
const SATA = '0000:06:00.0';

base.describe('this machine', () => {
  const noIommu = readdirSync('/sys/kernel/iommu_groups').length === 0;

  base('lists every PCI device lspci sees with its driver, says the IOMMU is off, and refuses to prepare one', async ({ page, nova, pageProblems }) => {
    base.skip(!noIommu, 'this machine has an IOMMU');
    const devices = new DevicesPage(page);
    await devices.open(nova.url);
    await devices.goTo('Devices');
    await expect(devices.heading).toHaveText('Devices');
    await expect(devices.iommuNotice).toBeVisible();
    const lspci = execFileSync('lspci', ['-D'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
    const ungrouped = devices.group(null);
    for (const address of lspci) await expect(ungrouped.locator(`tr[data-address="${address}"]`)).toBeVisible();
    const first = lspci.find((a) => readdirSync(`/sys/bus/pci/devices/${a}`).includes('driver'))!;
    const driver = readFileSync(`/sys/bus/pci/devices/${first}/uevent`, 'utf8').match(/^DRIVER=(.+)$/m)![1]!;
    await expect(devices.row(first).getByRole('cell').nth(1)).toHaveText(driver);
    await expect(devices.row(first).locator('[data-readiness]')).toHaveText('Blocked');

    await devices.openPreflight(first);
    await expect(devices.preflight(first).locator('[data-item="iommu"]')).toContainText('Blocks');
    await devices.prepare(first);
    await expect(devices.prepareDialog.getByRole('alert')).toContainText(/IOMMU/);
    await expect(devices.apply).toBeDisabled();
    expect(readdirSync(`/sys/bus/pci/devices/${first}`).includes('driver')).toBe(true);
    expect(pageProblems).toEqual([]);
  });
});

const test = base.extend<{ fakeHost: FakeDeviceHost }>({
  // eslint-disable-next-line no-empty-pattern
  fakeHost: async ({}, use) => {
    // A GPU with its audio function behind a root port (viable), the host's boot GPU, and
    // a second GPU whose group also holds a SATA controller on ahci (not viable).
    const fs = hostGpu(gpuWithAudio(new FakeSysfs({ prefix: 'nv10d-sysfs-' }).withIommu().vfioModule()))
      .pci({ address: FOREIGN_GPU, vendor: 0x10de, device: 0x1b80, classCode: 0x030000, driver: 'nouveau', group: 5 })
      .pci({ address: SATA, vendor: 0x8086, device: 0x2922, classCode: 0x010601, driver: 'ahci', group: 5 })
      .driver('vfio-pci');
    await withFakeDeviceHost('nv10d-devices', fs, use);
  },
});

const writeLog = (fs: FakeSysfs): string[] => {
  try {
    return JSON.parse(readFileSync(`${fs.root}/${TEST_WRITE_LOG}`, 'utf8')) as string[];
  } catch {
    return [];
  }
};

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`a fake device host (${colorScheme})`, () => {
    test.use({ colorScheme });

    test('shows a non-viable group\'s blocker, prepares a viable GPU after showing the dry run\'s writes, and releases it', async ({ page, fakeHost, pageProblems }) => {
      test.setTimeout(120_000);
      const { info, fs } = fakeHost;
      const devices = new DevicesPage(page);
      await devices.open(info.url);
      await devices.goTo('Devices');
      await expect(devices.group(1)).toBeVisible();
      await expect(devices.iommuNotice).toHaveCount(0);
      await expect(devices.group(1).locator(`tr[data-address="${ROOT_PORT}"] [data-readiness]`)).toHaveText('Bridge (stays with the host)');

      // Group 5 shares the GPU with a SATA controller the host keeps: blocked, and the preflight names it.
      await expect(devices.row(FOREIGN_GPU).locator('[data-readiness]')).toHaveText('Blocked');
      await devices.openPreflight(FOREIGN_GPU);
      await expect(devices.preflight(FOREIGN_GPU).locator('[data-verdict="block"]').first()).toContainText(SATA);
      await devices.prepare(FOREIGN_GPU);
      await expect(devices.prepareDialog.getByRole('alert')).toContainText(`IOMMU group 5 is not viable`);
      await devices.prepareDialog.getByRole('button', { name: 'Cancel' }).click();

      // The viable GPU: the dry run lists the exact writes and changes nothing.
      await devices.prepare(GPU);
      await expect(devices.applyWrites).toHaveCount(6);
      const shown = (await devices.applyWrites.allTextContents()).map((t) => t.replace(/^"(.*)" > \/sys\/bus\/pci\/(.*)$/, (_m, data: string, path: string) => `${path} <- ${data || '""'}`));
      expect(shown).toEqual(bindLog([GPU, GPU_AUDIO]));
      await expect(devices.releaseWrites).toHaveCount(6);
      expect(writeLog(fs)).toEqual([]);
      if (colorScheme === 'light') expect(await seriousAxeViolations(page)).toEqual([]);
      await page.screenshot({ path: new URL(`devices-prepare-${colorScheme}.png`, ARTIFACTS).pathname });

      // Apply makes exactly those writes; the group shows as bound, with Release.
      await devices.apply.click();
      await expect(devices.prepareDialog).toHaveCount(0);
      await expect(devices.group(1)).toContainText(`On vfio-pci: ${GPU}, ${GPU_AUDIO}`);
      expect(writeLog(fs)).toEqual(bindLog([GPU, GPU_AUDIO]));
      await expect(devices.row(GPU).getByRole('cell').nth(1)).toHaveText('vfio-pci');
      await page.screenshot({ path: new URL(`devices-bound-${colorScheme}.png`, ARTIFACTS).pathname, fullPage: true });

      await devices.release(1).click();
      await devices.confirmRelease(1).click();
      await expect(devices.row(GPU).getByRole('cell').nth(1)).toHaveText('nvidia');
      await expect(devices.row(GPU_AUDIO).getByRole('cell').nth(1)).toHaveText('snd_hda_intel');
      expect(writeLog(fs)).toEqual([...bindLog([GPU, GPU_AUDIO]), ...restoreLog([GPU, GPU_AUDIO])]);
      expect(pageProblems).toEqual([]);
    });
  });
}
