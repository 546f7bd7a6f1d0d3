// The Networks UI against the real helper, which runs in the stack's own network
// namespace: a NAT network created in the dialog becomes a real bridge there, shows in
// the list and the topology with the guests the setup attaches (a VM's tap, a capsule's
// veth into a namespace of this test), and is gone, bridge and all, once deleted.
// Bad input is caught beside the fields; the helper's refusal is shown as it said it.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { NetworkSchema, type MethodName, type Network, type ParamsIn } from '../src-shared/index.js';
import { NetworksPage } from './pages/network-page.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(2).toString('hex');
/** Names stay under the kernel's 15 characters: they name the bridges. */
const NET = `nv4u${RUN}`;
const TAKEN = `nv4ut${RUN}`;
const REFUSED = `nv4ur${RUN}`;
/** The WireGuard overlay made in the dialog (this engineer's prefix: nv4p). */
const WG = `nv4pw${RUN}`;
const WG_VNI = 5000 + (parseInt(RUN, 16) % 1000);
const GUEST_NETNS = `nv4ug${RUN}`;
const VM_GUEST = `nv4u-vm-${RUN}`;
const CAPSULE_GUEST = `nv4u-cap-${RUN}`;
// A /16 of our own per run, so a parallel run or another spec's networks do not collide.
const OCTET = 100 + (parseInt(RUN, 16) % 100);
const SUBNET = `10.${OCTET}.7.1/24`;
const TAKEN_SUBNET = `10.${OCTET}.8.1/24`;

async function api<M extends MethodName>(origin: string, token: string, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(origin, token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

async function listNetworks(origin: string, token: string): Promise<Network[]> {
  const value = (await api(origin, token, 'network.list', {})) as { networks: unknown[] };
  return value.networks.map((n) => NetworkSchema.parse(n));
}

/** Whether the stack's namespace has an interface of that name. */
function stackHasLink(netns: string, ifname: string): boolean {
  return spawnSync('ip', ['-n', netns, 'link', 'show', 'dev', ifname], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** A real X25519 public key in WireGuard's base64, as another host would show it. */
function otherHostKey(): string {
  const der = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32).toString('base64');
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(name, ARTIFACTS).pathname });
}

/** Light, then the same view in dark; back to light after. */
async function shootBoth(page: Page, name: string): Promise<void> {
  await shoot(page, `${name}-light.png`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await shoot(page, `${name}-dark.png`);
  await page.emulateMedia({ colorScheme: 'light' });
}

test.describe('Networks UI', () => {
  test.afterAll(async () => {
    const { origin, token } = JSON.parse(process.env.NOVA_E2E_STACK ?? '{}') as { origin?: string; token?: string };
    if (origin && token) {
      for (const name of [NET, TAKEN, REFUSED, WG]) await api(origin, token, 'network.delete', { name }).catch(() => undefined);
    }
    spawnSync('ip', ['netns', 'delete', GUEST_NETNS], { timeout: 10_000 });
  });

  test('creates a NAT network in the dialog, shows it with its guests in the list and the topology, and deletes it', async ({
    page,
    nova,
    pageProblems,
  }) => {
    test.setTimeout(120_000);
    const networks = new NetworksPage(page);
    await networks.openSection(nova.url);
    await expect(networks.heading).toHaveText('Networks');

    await networks.createButton.click();
    const dialog = networks.dialog;
    await expect(dialog.root).toBeVisible();
    await expect(dialog.name).toBeFocused();
    await expect(dialog.profile('NAT')).toBeChecked();
    await dialog.name.fill(NET);
    await dialog.subnet.fill(SUBNET);
    await dialog.dhcpStart.fill(`10.${OCTET}.7.50`);
    await dialog.dhcpEnd.fill(`10.${OCTET}.7.150`);
    await expect(dialog.root.locator('.form-field__error')).toHaveCount(0);
    await shootBoth(page, 'network-dialog');
    await dialog.submit.click();
    await expect(dialog.root).toBeHidden({ timeout: 30_000 });

    await expect(networks.row(NET)).toBeVisible();
    await expect(networks.rowState(NET)).toHaveText('Active');
    await expect(networks.row(NET)).toContainText(`10.${OCTET}.7.0/24`);
    await expect(networks.row(NET)).toContainText('nat');
    await expect(networks.rowAttached(NET)).toHaveText('0');
    expect(stackHasLink(nova.netns, NET), `bridge ${NET} in ${nova.netns}`).toBe(true);

    // Guests, attached as the VM and capsule engines do: a VM's tap, and a capsule's veth
    // whose guest end goes into a namespace of this test's own.
    execFileSync('ip', ['netns', 'add', GUEST_NETNS], { timeout: 10_000 });
    await api(nova.origin, nova.token, 'network.attach', { network: NET, resource: VM_GUEST, kind: 'tap' });
    await api(nova.origin, nova.token, 'network.attach', {
      network: NET,
      resource: CAPSULE_GUEST,
      kind: 'veth',
      netns: GUEST_NETNS,
      address: `10.${OCTET}.7.20/24`,
    });
    // network.changed refreshes the list without a reload.
    await expect(networks.rowAttached(NET)).toHaveText('2');
    await shootBoth(page, 'network-list');

    await networks.topologyTab.click();
    const topology = networks.topology;
    await expect(topology.node('Network', NET)).toBeVisible();
    await expect(topology.node('Network', NET)).toHaveAccessibleName(new RegExp(`^Network ${NET}, Active$`));
    await expect(topology.node('VM', VM_GUEST)).toHaveAccessibleName(new RegExp(`^VM ${VM_GUEST}, Up$`));
    await expect(topology.node('Capsule', CAPSULE_GUEST)).toHaveAccessibleName(new RegExp(`^Capsule ${CAPSULE_GUEST}, Up$`));
    const netNodeId = `network:${NET}`;
    await expect(topology.canvas.locator(`.react-flow__edge[data-id^="${netNodeId}->"]`)).toHaveCount(2);
    await shootBoth(page, 'network-topology');

    // A guest's node opens its details; the link state is said in words there too.
    await topology.node('Capsule', CAPSULE_GUEST).click();
    const panel = topology.panel(`Capsule ${CAPSULE_GUEST}`);
    await expect(panel).toContainText('up: on the bridge');
    await expect(panel).toContainText(GUEST_NETNS);
    await expect(panel).toContainText(`10.${OCTET}.7.20/24`);
    await expect(panel.getByRole('link', { name: 'Open capsule page' })).toHaveAttribute('href', `#/capsules/${CAPSULE_GUEST}`);

    // Live: detaching the VM takes its node away without a reload.
    await api(nova.origin, nova.token, 'network.detach', { network: NET, resource: VM_GUEST });
    await expect(topology.node('VM', VM_GUEST)).toHaveCount(0);
    await expect(topology.node('Capsule', CAPSULE_GUEST)).toBeVisible();

    // Keyboard: the network's node is a link that Enter follows to its page.
    await topology.node('Network', NET).focus();
    await page.keyboard.press('Enter');
    await expect(networks.heading).toHaveText(NET);
    await expect(networks.detail.attachment(CAPSULE_GUEST)).toContainText('on the bridge');
    await expect(page.getByRole('region', { name: 'Egress policy' })).toContainText('No allow-list');
    await shootBoth(page, 'network-detail');

    // A port forward, added and removed on the network's page.
    const forwardForm = page.getByRole('form', { name: 'Add a port forward' });
    await forwardForm.getByLabel('Host port').fill('18080');
    await forwardForm.getByLabel('Guest address').fill(`10.${OCTET}.7.20`);
    await forwardForm.getByLabel('Guest port').fill('80');
    await forwardForm.getByRole('button', { name: 'Add forward' }).click();
    await expect(networks.detail.forwards.locator('tr[data-forward="18080/tcp"]')).toContainText(`10.${OCTET}.7.20:80`);
    await page.getByRole('button', { name: 'Remove forward of host port 18080/tcp' }).click();
    await expect(networks.detail.forwards).toHaveCount(0);

    await networks.detail.deleteButton.click();
    await networks.detail.confirmDelete.click();
    await expect(networks.heading).toHaveText('Networks', { timeout: 30_000 });
    await expect(networks.row(NET)).toHaveCount(0);
    expect((await listNetworks(nova.origin, nova.token)).some((n) => n.name === NET)).toBe(false);
    expect(stackHasLink(nova.netns, NET), `bridge ${NET} gone from ${nova.netns}`).toBe(false);
    expect(pageProblems, 'console errors or CSP violations').toEqual([]);
  });

  test('shows field errors as you type, and the helper’s refusal of an overlapping subnet', async ({ page, nova, pageProblems }) => {
    await api(nova.origin, nova.token, 'network.create', { name: TAKEN, profile: 'internal', subnet: TAKEN_SUBNET });
    const networks = new NetworksPage(page);
    await networks.openSection(nova.url);
    await expect(networks.row(TAKEN)).toBeVisible();

    await networks.createButton.click();
    const dialog = networks.dialog;
    await dialog.name.fill('Bad/Name');
    await expect(dialog.fieldError('name')).toContainText('lowercase');
    await expect(dialog.name).toHaveAttribute('aria-invalid', 'true');
    await dialog.subnet.fill(`10.${OCTET}.9.255/24`);
    await expect(dialog.fieldError('subnet')).toContainText('broadcast address');
    await dialog.subnet.fill(`10.${OCTET}.9.1/24`);
    await expect(dialog.fieldError('subnet')).toHaveCount(0);
    await dialog.dhcpStart.fill(`10.${OCTET}.10.5`);
    await expect(dialog.fieldError('dhcpStart')).toContainText(`outside the subnet 10.${OCTET}.9.0/24`);
    // Untouched fields stay quiet until a submit.
    await expect(dialog.fieldError('dhcpEnd')).toHaveCount(0);
    await shootBoth(page, 'network-dialog-errors');

    await dialog.submit.click();
    await expect(dialog.fieldError('dhcpEnd')).toBeVisible();
    await expect(dialog.name).toBeFocused();
    await expect(dialog.refusal).toHaveCount(0);

    // Valid for the form, refused by the helper: the subnet overlaps an existing network.
    await dialog.name.fill(REFUSED);
    await dialog.subnet.fill(`10.${OCTET}.8.129/25`);
    await dialog.dhcpStart.fill('');
    await dialog.dhcpEnd.fill('');
    await expect(dialog.root.locator('.form-field__error')).toHaveCount(0);
    await dialog.submit.click();
    await expect(dialog.refusal).toContainText('The helper refused to create the network');
    await expect(dialog.refusal).toContainText(`overlaps 10.${OCTET}.8.0/24 of network "${TAKEN}"`);
    await expect(dialog.refusal).not.toContainText('invalid_argument');
    await shootBoth(page, 'network-dialog-refused');
    expect(stackHasLink(nova.netns, REFUSED)).toBe(false);
    expect((await listNetworks(nova.origin, nova.token)).some((n) => n.name === REFUSED)).toBe(false);

    await page.keyboard.press('Escape');
    await expect(dialog.root).toBeHidden();
    await expect(networks.createButton).toBeVisible();
    await api(nova.origin, nova.token, 'network.delete', { name: TAKEN });
    await expect(networks.row(TAKEN)).toHaveCount(0);
    expect(pageProblems, 'console errors or CSP violations').toEqual([]);
  });

  test('creates a WireGuard overlay in the dialog, shows its key to copy, and edits its peers', async ({ page, context, nova, pageProblems }) => {
    test.setTimeout(120_000);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: nova.origin });
    const networks = new NetworksPage(page);
    await networks.openSection(nova.url);
    await networks.createButton.click();
    const dialog = networks.dialog;
    await dialog.name.fill(WG);
    await dialog.profile('Overlay').click();
    // The fields follow the driver: a listen port only for WireGuard.
    await expect(dialog.driver('VXLAN')).toBeChecked();
    await expect(dialog.listenPort).toHaveCount(0);
    await dialog.driver('WireGuard').click();
    await expect(dialog.listenPort).toBeVisible();
    await dialog.vni.fill(String(WG_VNI));
    const other = otherHostKey();
    await dialog.peers.fill('192.0.2.2');
    await expect(dialog.fieldError('peers')).toContainText('write the peer’s public key first, KEY@192.0.2.2');
    await dialog.peers.fill('abc@192.0.2.2');
    await expect(dialog.fieldError('peers')).toContainText('"abc" is not a WireGuard public key');
    await dialog.peers.fill(`${other}@192.0.2.2:99999`);
    await expect(dialog.fieldError('peers')).toContainText('peer port 99999 is out of range; ports are 1-65535');
    await dialog.listenPort.fill('70000');
    await expect(dialog.fieldError('listenPort')).toContainText('a UDP port from 1 to 65535');
    await shootBoth(page, 'network-wireguard-dialog-errors');
    // The first host knows no other key yet: created without peers, on a port of its own.
    await dialog.peers.fill('');
    await dialog.listenPort.fill('51830');
    await expect(dialog.root.locator('.form-field__error')).toHaveCount(0);
    await shootBoth(page, 'network-wireguard-dialog');
    await dialog.submit.click();
    await expect(dialog.root).toBeHidden({ timeout: 30_000 });

    await networks.row(WG).getByRole('link', { name: WG }).click();
    await expect(networks.heading).toHaveText(WG);
    const detail = networks.detail;
    const created = (await listNetworks(nova.origin, nova.token)).find((n) => n.name === WG);
    const own = created?.wireguard?.publicKey ?? '';
    expect(own).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(created?.wireguard?.listenPort).toBe(51830);
    await expect(detail.publicKey).toHaveText(own);
    await detail.copyKey.click();
    await expect(detail.copyKey).toHaveText('Copied');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(own);
    await expect(page.getByRole('region', { name: /^Peers/ })).toContainText('No peers');

    // Peers, checked as you type: this host's own key is refused before any call.
    await detail.editPeers.click();
    await detail.peersText.fill(`${own}@192.0.2.2`);
    await expect(detail.peersForm.locator('.form-field__error')).toContainText('this host’s own public key');
    // Valid for the form, refused by the helper: two keys for one endpoint.
    const third = otherHostKey();
    await detail.peersText.fill(`${other}@192.0.2.2\n${third}@192.0.2.2:51820`);
    await expect(detail.peersForm.locator('.form-field__error')).toHaveCount(0);
    await detail.peersForm.getByRole('button', { name: 'Save peers' }).click();
    const refusal = detail.peersForm.getByRole('alert');
    await expect(refusal).toContainText('The helper refused the peers');
    await expect(refusal).toContainText('192.0.2.2:51820 is listed twice');
    await expect(refusal).not.toContainText('invalid_argument');
    await shootBoth(page, 'network-wireguard-peers-refused');

    await detail.peersText.fill(`${other}@192.0.2.2\n${third}@192.0.2.3:51900`);
    await detail.peersForm.getByRole('button', { name: 'Save peers' }).click();
    await expect(detail.peersForm).toHaveCount(0);
    await expect(detail.peers.locator('tbody tr')).toHaveCount(2);
    await expect(detail.peers.locator('tr[data-peer="192.0.2.2"]')).toContainText(other);
    await expect(detail.peers.locator('tr[data-peer="192.0.2.3"]')).toContainText('192.0.2.3:51900');
    const saved = (await listNetworks(nova.origin, nova.token)).find((n) => n.name === WG);
    expect(saved?.peers).toEqual([
      { host: '192.0.2.2', port: null, publicKey: other },
      { host: '192.0.2.3', port: 51900, publicKey: third },
    ]);
    await shootBoth(page, 'network-wireguard-detail');

    await api(nova.origin, nova.token, 'network.delete', { name: WG });
    expect(stackHasLink(nova.netns, WG)).toBe(false);
    expect(pageProblems, 'console errors or CSP violations').toEqual([]);
  });
});
