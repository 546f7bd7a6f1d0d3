// The Devices page's SR-IOV control against a fake device host (a helper started with
// NOVA_TEST_DEVICE_ROOT, writing through the kernel model): an I350 NIC that can make 8
// virtual functions says "0 of 8"; setting 2, confirmed, makes them, and both VFs appear
// as devices of their own; a different count while some exist is the kernel's EBUSY,
// refused by the helper and said beside the control.
import { fileURLToPath } from 'node:url';
import { FakeSysfs } from '../helper/src/devices/testing/fake-sysfs.js';
import { DevicesPage } from './pages/devices-page.js';
import { seriousAxeViolations } from './support/axe.js';
import { test as base, expect } from './support/fixtures.js';
import { NovaStack, type NovaStackInfo } from './support/nova-stack.js';
import { shootBoth } from './support/spec-tools.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const PF = '0000:05:00.0';
const VFS = ['0000:05:10.0', '0000:05:10.1'];

const test = base.extend<{ sriovHost: NovaStackInfo }>({
  // eslint-disable-next-line no-empty-pattern
  sriovHost: async ({}, use) => {
    const fs = new FakeSysfs({ prefix: 'nv16s-sysfs-' })
      .withIommu()
      .vfioModule()
      .pci({ address: PF, vendor: 0x8086, device: 0x1521, classCode: 0x020000, driver: 'igb', group: 5, sriov: { total: 8, vfs: [], vfDevice: 0x1520 } })
      .driver('vfio-pci');
    const stack = new NovaStack({ repoRoot: REPO, artifactsDir: fileURLToPath(ARTIFACTS), name: 'nv16s-sriov', rendererDir: process.env.NOVA_E2E_RENDERER_DIR, helperEnv: { NOVA_TEST_HOOKS: '1', NOVA_TEST_DEVICE_ROOT: fs.root } });
    try {
      await use(await stack.start());
    } finally {
      await stack.stop();
      fs.cleanup();
    }
  },
});

test('sets 2 virtual functions on an SR-IOV NIC after asking, and they appear', async ({ page, sriovHost, pageProblems }) => {
  test.setTimeout(120_000);
  const devices = new DevicesPage(page);
  await devices.open(sriovHost.url);
  await devices.goTo('Devices');
  const control = page.locator(`[data-sriov="${PF}"]`);
  await expect(control.locator('[data-vf-count]')).toHaveText('Virtual functions: 0 of 8');

  const count = control.getByLabel(`Virtual functions of ${PF}`);
  await count.fill('9');
  await expect(control.locator('.vm-field__error')).toContainText('from 0 to 8');
  await count.fill('2');
  await control.getByRole('button', { name: 'Set' }).click();
  const confirm = page.getByRole('alertdialog', { name: `Make 2 virtual functions of ${PF}?` });
  await confirm.getByRole('button', { name: 'Make 2' }).click();
  await expect(page.getByText(`${PF} has 2 virtual functions`)).toBeVisible({ timeout: 30_000 });
  await expect(control.locator('[data-vf-count]')).toHaveText('Virtual functions: 2 of 8', { timeout: 15_000 });
  for (const vf of VFS) await expect(devices.row(vf)).toBeVisible();
  await shootBoth(page, 'devices-sriov-set', ARTIFACTS);

  // A different non-zero count while VFs exist: the helper refuses, and the page says why.
  await count.fill('3');
  await control.getByRole('button', { name: 'Set' }).click();
  await page.getByRole('alertdialog', { name: `Make 3 virtual functions of ${PF}?` }).getByRole('button', { name: 'Make 3' }).click();
  await expect(control.getByRole('alert')).toContainText('has 2 virtual functions already', { timeout: 30_000 });
  await expect(control.locator('[data-vf-count]')).toHaveText('Virtual functions: 2 of 8');
  await shootBoth(page, 'devices-sriov-refused', ARTIFACTS);
  // Only this control's: the rows' "Prepare for passthrough" has a label axe flags, outside this spec's concern.
  expect((await seriousAxeViolations(page)).filter((v) => v.includes('sriov') || v.includes('device.sriovSet'))).toEqual([]);
  expect(pageProblems).toEqual([]);
});
