// A network whose bridge was removed by hand (in the stack's namespace, where its helper
// runs) shows on its page as needing repair, with the reason; "Repair now" puts the bridge
// back, says so in words, and the page shows the network active again. Light and dark
// screenshots go to e2e/artifacts/.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Network } from '../src-shared/index.js';
import { NetworksPage } from './pages/network-page.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { callOk, shootBoth } from './support/spec-tools.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(2).toString('hex');
/** Under the kernel's 15 characters: it names the bridge. */
const NET = `nv16s${RUN}`;
const OCTET = 100 + (parseInt(RUN, 16) % 100);

function linkExists(netns: string, name: string): boolean {
  return spawnSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'show', name], { timeout: 10_000 }).status === 0;
}

test.describe('Repairing a network', () => {
  test.afterAll(async () => {
    const { origin, token } = JSON.parse(process.env.NOVA_E2E_STACK ?? '{}') as { origin?: string; token?: string };
    if (origin && token) await callOk(origin, token, 'network.delete', { name: NET }).catch(() => undefined);
  });

  test('a bridge deleted by hand is put back by Repair, and the page says the network is active', async ({ page, nova, pageProblems }) => {
    test.setTimeout(120_000);
    const made = (await callOk(nova.origin, nova.token, 'network.create', { name: NET, subnet: `10.${OCTET}.16.1/24` })) as Network;
    expect(linkExists(nova.netns, made.bridge)).toBe(true);
    const del = spawnSync('ip', ['netns', 'exec', nova.netns, 'ip', 'link', 'del', made.bridge], { encoding: 'utf8', timeout: 10_000 });
    expect(del.status, del.stderr).toBe(0);

    const networks = new NetworksPage(page);
    await page.goto(`${nova.url.split('#')[0]}#/networks/${NET}`);
    await expect(networks.heading).toHaveText(NET);
    const notice = page.getByRole('status', { name: 'Network needs repair' });
    await expect(notice).toBeVisible({ timeout: 15_000 });
    await expect(notice).toContainText(/degraded|down/);
    await shootBoth(page, 'network-repair-needed', ARTIFACTS);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await notice.getByRole('button', { name: 'Repair now' }).click();
    await expect(page.getByText(`Repaired network '${NET}'`)).toBeVisible({ timeout: 60_000 });
    await expect(notice).toHaveCount(0, { timeout: 15_000 });
    expect(linkExists(nova.netns, made.bridge)).toBe(true);
    expect(((await callOk(nova.origin, nova.token, 'network.get', { name: NET })) as Network).status.state).toBe('active');
    await shootBoth(page, 'network-repair-done', ARTIFACTS);

    // The header's Repair is there while nothing is missing too, and says so.
    await page.getByRole('button', { name: 'Repair', exact: true }).click();
    await expect(page.getByText(`Network '${NET}' needed no repair`)).toBeVisible({ timeout: 60_000 });
    expect(pageProblems).toEqual([]);
  });
});
