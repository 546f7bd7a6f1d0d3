// Editing a network after create, against the real helper in the stack's namespace: the
// egress allow-list changed in the Settings section is the nft rule read back from the
// kernel with the "takes effect now" result; the DHCP range changed there is in
// dnsmasq's config with "needs the guests to reconnect", and the DHCP server turned off and
// on again there leaves dnsmasq without a pool and then with one; a subnet written as the block
// and the helper's free-subnet suggestion in the create dialog. Light and dark.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { NetworkSchema, type MethodName, type ParamsIn } from '../src-shared/index.js';
import { NetworksPage } from './pages/network-page.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(2).toString('hex');
const NET = `nv16n${RUN}`;
const MADE = `nv16m${RUN}`;
// A /16 of our own per run, apart from the other network specs' 10.100-199 blocks.
const OCTET = 200 + (parseInt(RUN, 16) % 40);

async function api<M extends MethodName>(origin: string, token: string, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(origin, token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

/** The rules of Nova's nftables table in the stack's namespace, as `nft -j` prints them. */
function nftRules(netns: string): string {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'table', 'inet', 'nova'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`nft -j list table inet nova: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { nftables: Array<{ rule?: unknown }> };
  return JSON.stringify(doc.nftables.filter((e) => e.rule !== undefined));
}

async function shootBoth(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}-light.png`, ARTIFACTS).pathname });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: new URL(`${name}-dark.png`, ARTIFACTS).pathname });
  await page.emulateMedia({ colorScheme: 'light' });
}

test.describe('Editing a network', () => {
  test.afterAll(async () => {
    const { origin, token } = JSON.parse(process.env.NOVA_E2E_STACK ?? '{}') as { origin?: string; token?: string };
    if (origin && token) for (const name of [NET, MADE]) await api(origin, token, 'network.delete', { name }).catch(() => undefined);
  });

  test('changes the egress allow-list (the nft rule changes now) and the DHCP range (dnsmasq serves it)', async ({ page, nova, pageProblems }) => {
    test.setTimeout(120_000);
    await api(nova.origin, nova.token, 'network.create', {
      name: NET,
      subnet: `10.${OCTET}.3.1/24`,
      dhcpRange: `10.${OCTET}.3.50-10.${OCTET}.3.99`,
      egressAllow: ['198.51.100.0/24:443/tcp'],
    });
    expect(nftRules(nova.netns)).toContain('198.51.100.0');
    const networks = new NetworksPage(page);
    await page.goto(`${nova.url.split('#')[0]}#/networks/${NET}`);
    await expect(networks.heading).toHaveText(NET);

    const settings = page.getByRole('form', { name: 'Network settings' });
    const egress = settings.getByLabel('Egress allow-list');
    await expect(egress).toHaveValue('198.51.100.0/24:443/tcp');
    // Each field says beforehand when its change takes effect.
    await expect(settings.locator('[data-field="egress"] .form-field__hint')).toContainText('Takes effect now');
    await expect(settings.locator('[data-field="dhcpStart"] .form-field__hint')).toContainText('Needs the guests to reconnect');

    // A wrong rule is said beside the field, and focus goes there; nothing is sent.
    await egress.fill('203.0.113.0/24:99999');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await expect(settings.locator('[data-field="egress"] .form-field__error')).toBeVisible();
    await expect(egress).toBeFocused();

    await egress.fill('203.0.113.0/24:80/tcp');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    const changed = page.getByRole('status').filter({ has: page.locator('li[data-field="egressAllow"]') });
    await expect(changed.locator('li[data-field="egressAllow"]')).toContainText('Egress allow-list: Takes effect now');
    const rules = nftRules(nova.netns);
    expect(rules).toContain('203.0.113.0');
    expect(rules).not.toContain('198.51.100.0');
    await expect(page.getByRole('region', { name: 'Egress policy' })).toContainText('203.0.113.0/24, port 80, tcp');
    await shootBoth(page, 'network-edit-egress');

    // The DHCP range, by keyboard: the new pool is what dnsmasq serves.
    const end = settings.getByLabel('DHCP range end');
    await end.fill(`10.${OCTET}.3.120`);
    await end.press('Enter');
    await expect(page.locator('li[data-field="dhcpRange"]')).toContainText('DHCP range: Needs the guests to reconnect');
    const conf = readFileSync(join(nova.runDir, 'run', 'networks', NET, 'dnsmasq.conf'), 'utf8');
    expect(conf).toContain(`dhcp-range=10.${OCTET}.3.50,10.${OCTET}.3.120,`);
    const seen = NetworkSchema.parse(await api(nova.origin, nova.token, 'network.get', { name: NET }));
    expect(seen.dhcpRange).toEqual({ start: `10.${OCTET}.3.50`, end: `10.${OCTET}.3.120` });
    await expect(page.getByRole('region', { name: 'Overview' })).toContainText(`10.${OCTET}.3.50 – 10.${OCTET}.3.120`);
    await shootBoth(page, 'network-edit-dhcp');

    // The DHCP server off: dnsmasq serves no pool (DNS stays); on again: the block's default pool.
    const dhcpSwitch = settings.getByRole('checkbox', { name: 'Run a DHCP server' });
    await dhcpSwitch.uncheck();
    await expect(settings.getByLabel('DHCP range end')).toHaveCount(0);
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.locator('li[data-field="dhcp"]')).toContainText('DHCP server: Needs the guests to reconnect');
    await expect.poll(async () => NetworkSchema.parse(await api(nova.origin, nova.token, 'network.get', { name: NET })).dhcpRange, { timeout: 10_000 }).toBeNull();
    expect(readFileSync(join(nova.runDir, 'run', 'networks', NET, 'dnsmasq.conf'), 'utf8')).not.toContain('dhcp-range=');
    await dhcpSwitch.check();
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.locator('li[data-field="dhcp"]')).toContainText('DHCP server: Needs the guests to reconnect');
    await expect.poll(async () => NetworkSchema.parse(await api(nova.origin, nova.token, 'network.get', { name: NET })).dhcpRange, { timeout: 10_000 }).not.toBeNull();
    await expect.poll(() => readFileSync(join(nova.runDir, 'run', 'networks', NET, 'dnsmasq.conf'), 'utf8'), { timeout: 10_000 }).toContain(`dhcp-range=10.${OCTET}.3.`);
    // The page with its Settings, results and effect notes, in both themes: no serious or critical axe finding.
    const found = [...(await seriousAxeViolations(page))];
    await page.emulateMedia({ colorScheme: 'dark' });
    found.push(...(await seriousAxeViolations(page)));
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
    expect(pageProblems, 'console errors or CSP violations').toEqual([]);
  });

  test('the create dialog takes a subnet written as the block and offers a free one', async ({ page, nova, pageProblems }) => {
    const networks = new NetworksPage(page);
    await networks.openSection(nova.url);
    await networks.createButton.click();
    const dialog = networks.dialog;
    await dialog.name.fill(MADE);
    const use = dialog.root.getByRole('button', { name: /^Use \d+\.\d+\.\d+\.0\/24$/ });
    await expect(use).toBeVisible();
    const suggested = ((await use.textContent()) ?? '').replace('Use ', '');
    const taken = (await Promise.all([api(nova.origin, nova.token, 'network.list', {})]))[0] as { networks: Array<{ subnet: string | null }> };
    expect(taken.networks.map((n) => n.subnet)).not.toContain(suggested);
    await use.click();
    await expect(dialog.subnet).toHaveValue(suggested);

    await dialog.subnet.fill(`10.${OCTET}.4.0/24`);
    await expect(dialog.fieldError('subnet')).toHaveCount(0);
    await expect(dialog.root.locator('[data-field="subnet"] .form-field__hint')).toContainText(`The host is 10.${OCTET}.4.1 on 10.${OCTET}.4.0/24`);
    await shootBoth(page, 'network-create-block-subnet');
    await dialog.submit.click();
    await expect(dialog.root).toBeHidden({ timeout: 30_000 });
    await expect(networks.row(MADE)).toContainText(`10.${OCTET}.4.0/24`);
    const made = NetworkSchema.parse(await api(nova.origin, nova.token, 'network.get', { name: MADE }));
    expect(made.gateway).toBe(`10.${OCTET}.4.1`);
    expect(pageProblems, 'console errors or CSP violations').toEqual([]);
  });
});
