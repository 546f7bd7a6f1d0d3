// The Devices page follows the host without a reload: a helper on a fake device host
// (NOVA_TEST_DEVICE_ROOT) reads the uevents the test injects into that host, as it reads
// the kernel's on a real one, and the page lists a hot-plugged device and a driver change
// as soon as `device.changed` arrives. The window marker proves no reload happened.
import { FakeSysfs, GPU, GPU_AUDIO, gpuWithAudio } from '../helper/src/devices/testing/fake-sysfs.js';
import { DevicesPage } from './pages/devices-page.js';
import { type FakeDeviceHost, withFakeDeviceHost } from './support/fake-device-host.js';
import { test as base, expect } from './support/fixtures.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const NIC = '0000:03:00.0';

const test = base.extend<{ fakeHost: FakeDeviceHost }>({
  // eslint-disable-next-line no-empty-pattern
  fakeHost: async ({}, use) => {
    await withFakeDeviceHost('nv6h-hotplug', gpuWithAudio(new FakeSysfs({ prefix: 'nv6h-sysfs-' }).withIommu().vfioModule()).driver('vfio-pci'), use);
  },
});

test('a hot-plugged PCI device and a driver change show on the open Devices page without a reload', async ({ page, fakeHost, pageProblems }) => {
  const { info, fs } = fakeHost;
  const devices = new DevicesPage(page);
  await devices.open(info.url);
  await devices.goTo('Devices');
  await expect(devices.row(GPU)).toBeVisible();
  await expect(devices.row(NIC)).toHaveCount(0);
  await page.evaluate('window.nv6hMarker = 1');

  // A network card arrives in its own group: the kernel adds it, then binds its driver.
  fs.pci({ address: NIC, vendor: 0x8086, device: 0x1533, classCode: 0x020000, driver: 'igb', group: 7 })
    .uevent({ action: 'add', devpath: `/devices/pci0000:00/${NIC}`, subsystem: 'pci' })
    .uevent({ action: 'bind', devpath: `/devices/pci0000:00/${NIC}`, subsystem: 'pci' });
  await expect(devices.group(7)).toBeVisible();
  await expect(devices.row(NIC).getByRole('cell').nth(1)).toHaveText('igb');

  // The audio function loses its driver (another tool unbound it): the row says so.
  await expect(devices.row(GPU_AUDIO).getByRole('cell').nth(1)).toHaveText('snd_hda_intel');
  fs.unbind(GPU_AUDIO).uevent({ action: 'unbind', devpath: `/devices/pci0000:00/0000:00:01.0/${GPU_AUDIO}`, subsystem: 'pci' });
  await expect(devices.row(GPU_AUDIO).getByRole('cell').nth(1)).not.toHaveText('snd_hda_intel');

  expect(await page.evaluate('window.nv6hMarker')).toBe(1);
  await page.screenshot({ path: new URL('devices-hotplug.png', ARTIFACTS).pathname, fullPage: true });
  expect(pageProblems).toEqual([]);
});
