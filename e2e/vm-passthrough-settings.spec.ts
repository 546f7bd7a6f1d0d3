// The VM page's Settings tab gives a stopped VM a USB device, a mediated device, Looking Glass and
// single-GPU mode, and takes them away again, in real Chromium against the real helper:
// each shows in the list of passed devices with what it is, and the helper's definition
// says the same. Light and dark screenshots go to e2e/artifacts/; axe-core finds nothing serious in either.
import { randomBytes } from 'node:crypto';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';
import type { VmDefinition, VmInfo } from '../src-shared/vm.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`vm-passthrough-${name}.png`, ARTIFACTS).pathname, fullPage: true });
const vmName = `nv6d-${randomBytes(3).toString('hex')}`;

async function definitionOf(origin: string, token: string): Promise<VmDefinition> {
  const answer = await callOverWeb(origin, token, 'vm.get', { name: vmName });
  if (!answer.ok) throw new Error(`vm.get ${vmName}: ${JSON.stringify(answer)}`);
  return (answer.value as VmInfo).definition;
}

test.describe('VM passthrough settings', () => {
  test.describe.configure({ timeout: 180_000 });

  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: vmName, force: true }).catch(() => undefined);
  });

  test('adds and removes a USB device and a mediated device, sets Looking Glass and single-GPU mode', async ({ page, nova, pageProblems }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.create', { name: vmName, memory: '256Mi', diskSize: '16Mi', display: 'none' });
    await new VmListPage(page).openVm(nova.url, vmName);
    const vm = new VmDetailPage(page, vmName);
    await vm.tab('Settings');

    const passed = page.getByRole('list', { name: 'Other passed devices' });
    await expect(passed).toContainText('None.');
    const mdev = page.getByRole('form', { name: 'Add a mediated device' });
    await expect(mdev.getByRole('button', { name: 'Add mediated device' })).toHaveAttribute('data-method', 'vm.update');
    await mdev.getByLabel('Parent GPU', { exact: true }).fill('00:02.0');
    await mdev.getByLabel('Type', { exact: true }).fill('i915-GVTg_V5_4');
    await mdev.getByRole('button', { name: 'Add mediated device' }).click();
    await expect(passed.locator('li[data-device="mdev:0000:00:02.0:i915-GVTg_V5_4"]')).toContainText('a mediated device (i915-GVTg_V5_4) on the GPU at 0000:00:02.0');
    expect((await definitionOf(nova.origin, nova.token)).mdevs).toEqual([{ parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' }]);

    const usb = page.getByRole('form', { name: 'Add a USB device' });
    await usb.getByLabel('USB device', { exact: true }).selectOption('usb:tablet');
    await usb.getByRole('button', { name: 'Add USB device' }).click();
    await expect(passed.locator('li[data-device="usb:tablet"]')).toContainText('an emulated USB tablet');
    expect((await definitionOf(nova.origin, nova.token)).usb).toEqual(['usb:tablet']);

    const lg = page.getByRole('form', { name: 'Looking Glass' });
    await lg.getByLabel('Resolution', { exact: true }).fill('2560x1440');
    await expect(lg.getByText('64 MiB of shared memory; when it starts.')).toBeVisible();
    await lg.getByRole('button', { name: 'Set Looking Glass' }).click();
    await expect(passed.locator('li[data-device="looking-glass"]')).toContainText('Looking Glass: 2560x1440, 64 MiB of shared memory');
    expect((await definitionOf(nova.origin, nova.token)).lookingGlass).toEqual({ resolution: '2560x1440' });

    await page.getByRole('button', { name: 'Turn single-GPU mode on' }).click();
    await expect(page.getByRole('button', { name: 'Turn single-GPU mode off' })).toBeVisible();
    expect((await definitionOf(nova.origin, nova.token)).singleGpu).toBe(true);

    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot(shot(scheme));
      expect(await seriousAxeViolations(page), scheme).toEqual([]);
    }

    await passed.getByRole('button', { name: 'Remove i915-GVTg_V5_4' }).click();
    await passed.getByRole('button', { name: 'Remove usb:tablet' }).click();
    await lg.getByRole('button', { name: 'Turn Looking Glass off' }).click();
    await page.getByRole('button', { name: 'Turn single-GPU mode off' }).click();
    await expect(passed).toContainText('None.');
    await expect(page.getByRole('button', { name: 'Turn single-GPU mode on' })).toBeVisible();
    const def = await definitionOf(nova.origin, nova.token);
    expect([def.mdevs, def.lookingGlass, def.singleGpu, def.usb]).toEqual([undefined, undefined, undefined, []]);
    expect(pageProblems).toEqual([]);
  });
});
