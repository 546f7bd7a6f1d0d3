// The parity table (src-shared/parity/parity-table.ts) in real Chromium: every page it
// names is visited, with a VM, a capsule, a project and its network made through the API,
// the VM put in each state a control needs (stopped, running, paused), and the control
// with that `data-method` must be there. Each page visited is checked by axe-core as well,
// light and dark, with the dialogs it opens. The VM overview shows the network the
// running VM is on and its DHCP address; the graphs' axes show clock time and end CPU at
// 100 % per vCPU (and per CPU a capsule may use), and capsules have a network graph.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { makeBusyboxRootfs } from '../helper/system-tests/fixtures/capsule-harness.js';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { CLI_PARITY, METHOD_PARITY, PARITY_PAGES, type ParityPage, type ParityState } from '../src-shared/parity/parity-table.js';
import { VmInfoSchema, type MethodName, type ParamsIn } from '../src-shared/index.js';
import { ActivityPanel } from './pages/activity-panel.js';
import { AppShell } from './pages/app-shell.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { TEST_GUEST_CACHE } from './support/nova-stack.js';
import { callOk } from './support/spec-tools.js';

const RUN = randomBytes(3).toString('hex');
const PROJECT = `nv16p-${RUN}`;
/** Under 15 characters: it names the bridge. */
const NET = `nv16p${RUN}`;
const VM = `nv16p-vm-${RUN}`;
const CAPSULE = `nv16p-c-${RUN}`;
const OVERLAY = `nv16po${RUN}`;
const IMAGE = `nv16p-busybox-${RUN}`;
const VM_IMAGE = `nv16p-initrd-${RUN}`;
/** A saved host, so the Hosts page shows its Remove; its ssh port is closed, so nothing is reached. */
const SAVED_HOST = `nv16h-par-${RUN}`;
const IMAGE_DIR = join(TEST_GUEST_CACHE, `nv16p-${RUN}`);
const OCTET = 40 + (parseInt(RUN.slice(0, 2), 16) % 100);
const THIRD = parseInt(RUN.slice(2, 4), 16) % 250;
const SUBNET = `10.${OCTET}.${THIRD}`;
const STATE_TIMEOUT_MS = 60_000;

/**
 * Controls shown only while an operation runs (its Cancel, a project's Cancel): the
 * activity panel's Cancel is found and pressed by operations-ui.spec.ts, the project's by
 * projects.spec.ts; a page here has nothing running to show one.
 */
const SHOWN_ONLY_MID_OPERATION: ParityState = 'operation';
/** Controls for a passable or SR-IOV device: devices-page and devices-sriov specs press them on the fake kernel's. */
const SHOWN_ONLY_WITH_IOMMU: ParityState = 'hardware';
const NOT_HERE: readonly (ParityState | undefined)[] = [SHOWN_ONLY_MID_OPERATION, SHOWN_ONLY_WITH_IOMMU];

type Want = { page: ParityPage; method: string; state: ParityState | undefined; rows: string[] };

/** The table's UI rows, one per page, control and state. */
function wanted(): Want[] {
  const byKey = new Map<string, Want>();
  for (const [name, e] of [...Object.entries(CLI_PARITY), ...Object.entries(METHOD_PARITY)]) {
    if (!('ui' in e)) continue;
    const key = `${e.ui.page}|${e.ui.method}|${e.ui.state ?? ''}`;
    const want = byKey.get(key) ?? { page: e.ui.page, method: e.ui.method, state: e.ui.state, rows: [] };
    want.rows.push(name);
    byKey.set(key, want);
  }
  return [...byKey.values()];
}

function hashOf(page: ParityPage): string {
  return PARITY_PAGES[page].replace('{vm}', VM).replace('{capsule}', CAPSULE).replace('{network}', encodeURIComponent(NET)).replace('{overlay}', encodeURIComponent(OVERLAY)).replace('{project}', encodeURIComponent(join(projectDir, 'NovaFile.toml')));
}

let projectDir = '';
const call = <M extends MethodName>(nova: { origin: string; token: string }, method: M, params: ParamsIn<M>) => callOk(nova.origin, nova.token, method, params);

async function vmState(nova: { origin: string; token: string }): Promise<string> {
  return VmInfoSchema.parse(await callOk(nova.origin, nova.token, 'vm.get', { name: VM })).state;
}

async function waitVmState(nova: { origin: string; token: string }, want: string): Promise<void> {
  await expect.poll(() => vmState(nova), { timeout: STATE_TIMEOUT_MS, intervals: [250, 500, 1000] }).toBe(want);
}

/** Goes to a page of the table, as a user would reach it, and waits for it to settle. */
/** The app's address with its token, as `nova web` printed it. */
let appUrl = '';

async function visit(page: Page, target: ParityPage): Promise<void> {
  // The console is a window of its own (console.html), opened beside the app; the app's
  // pages are hash routes of index.html, so leaving the console means loading the app again.
  const inConsole = new URL(page.url()).pathname.endsWith('/console.html');
  if (target === 'vmConsole') await page.goto(new URL(hashOf(target), appUrl).toString());
  else if (inConsole) await page.goto(`${appUrl.split('#')[0]}${hashOf(target)}`);
  else await page.evaluate(`location.hash = ${JSON.stringify(hashOf(target))}`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  if (target === 'projectEditor') await page.getByRole('button', { name: 'Edit file' }).click();
  if (target === 'activity') await new ActivityPanel(page).open();
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0, { timeout: 20_000 });
}

async function axeBoth(page: Page, where: string, found: string[]): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    found.push(...(await seriousAxeViolations(page)).map((v) => `${where} (${colorScheme}): ${v}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test.describe('UI parity with the CLI and the engine', () => {
  test.beforeAll(async ({ nova }) => {
    test.setTimeout(240_000);
    const guest = await ensureTestGuest();
    await mkdir(IMAGE_DIR, { recursive: true });
    projectDir = await mkdtemp(join(tmpdir(), 'nv16p-project-'));
    // The project owns the network, so the network page offers "write back" to its NovaFile.
    await writeFile(join(projectDir, 'NovaFile.toml'), [`project = "${PROJECT}"`, '', `[network.${NET}]`, `subnet = "${SUBNET}.1/24"`, ''].join('\n'));
    await call(nova, 'project.up', { path: join(projectDir, 'NovaFile.toml') });
    await call(nova, 'vm.create', { name: VM, kernel: guest.vmlinux, initrd: guest.initrdNet, cmdline: guest.cmdline, memory: '256Mi', cpus: 1, accel: 'tcg', display: 'none', network: { nova: NET }, diskSize: '32Mi' });
    await call(nova, 'image.import', { path: guest.initrdPlain, name: VM_IMAGE });
    await call(nova, 'ociImage.import', { path: await makeBusyboxRootfs(IMAGE_DIR), name: IMAGE });
    await call(nova, 'capsule.create', { name: CAPSULE, image: IMAGE, command: ['sleep', '600'], cpus: 0.5 });
    // What makes the remaining controls appear: a snapshot to restore or delete, a forward
    // to remove, an overlay whose peers are edited.
    await call(nova, 'vm.snapshotCreate', { name: VM, snapshot: 'parity' });
    await call(nova, 'capsule.snapshotCreate', { name: CAPSULE, snapshot: 'parity' });
    await call(nova, 'network.forwardAdd', { network: NET, forward: { hostPort: 18080 + Number(THIRD), guestAddress: `${SUBNET}.200`, guestPort: 80, protocol: 'tcp' } });
    await call(nova, 'network.create', { name: OVERLAY, type: 'overlay', driver: 'wireguard', vni: 4000 + Number(THIRD), listenPort: 51000 + Number(THIRD) });
    await call(nova, 'hosts.add', { name: SAVED_HOST, url: 'ssh://nobody@127.0.0.1:1' });
  });

  test.afterAll(async ({ nova }) => {
    await call(nova, 'hosts.remove', { name: SAVED_HOST }).catch(() => undefined);
    await call(nova, 'vm.delete', { name: VM, force: true }).catch(() => undefined);
    await call(nova, 'capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
    await call(nova, 'network.delete', { name: NET }).catch(() => undefined);
    await call(nova, 'network.delete', { name: OVERLAY }).catch(() => undefined);
    await call(nova, 'image.remove', { name: VM_IMAGE }).catch(() => undefined);
    await call(nova, 'ociImage.remove', { name: IMAGE }).catch(() => undefined);
    await rm(IMAGE_DIR, { recursive: true, force: true });
    if (projectDir) await rm(projectDir, { recursive: true, force: true });
  });

  test('every control of the parity table is on its page, and axe-core finds no serious problem there', async ({ page, nova, pageProblems }) => {
    test.setTimeout(300_000);
    const shell = new AppShell(page);
    appUrl = nova.url;
    await shell.open(nova.url);
    await expect(shell.connection).toContainText('Connected to Nova');
    const all = wanted();
    const missing: string[] = [];
    const axe: string[] = [];
    const checked = new Set<string>();
    const judged = new Set<string>();
    const checkPages = async (state: ParityState | undefined) => {
      const here = all.filter((w) => w.state === state);
      // The project's page first: opening it is what lets the network page link back to it.
      const pages = [...new Set(here.map((w) => w.page))].sort((a, b) => Number(b === 'project') - Number(a === 'project'));
      for (const target of pages) {
        await visit(page, target);
        for (const w of here.filter((x) => x.page === target)) {
          const control = page.locator(`[data-method~="${w.method}"]`).first();
          const found = await control.waitFor({ state: 'attached', timeout: 10_000 }).then(() => true, () => false);
          if (!found) missing.push(`${w.page}${state ? ` (${state})` : ''}: no [data-method~="${w.method}"] for ${w.rows.join(', ')}`);
          else checked.add(`${w.page}|${w.method}|${state ?? ''}`);
        }
        await axeBoth(page, `${target}${state ? ` (${state})` : ''}`, axe);
        judged.add(`${target}|${state ?? 'stopped'}`);
      }
    };
    /** Pages with no row of their own still get axe-core's look (detail pages and tabs included). */
    const judgeTheRest = async (state: ParityState, pages = Object.keys(PARITY_PAGES) as ParityPage[]) => {
      for (const target of pages) {
        if (judged.has(`${target}|${state}`)) continue;
        judged.add(`${target}|${state}`);
        await visit(page, target);
        await axeBoth(page, `${target} (${state})`, axe);
      }
    };

    // The VM stopped: every page, the controls that need no state, and Start.
    await checkPages(undefined);
    await checkPages('stopped');
    await judgeTheRest('stopped');
    // Dialogs and panels open, judged as well.
    await visit(page, 'images');
    await page.getByRole('button', { name: 'Import disk' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await axeBoth(page, 'import disk dialog', axe);
    await page.keyboard.press('Escape');
    await visit(page, 'vmSettings');
    await page.getByRole('button', { name: /^Delete/ }).click();
    await expect(page.getByRole('alertdialog').or(page.getByRole('dialog'))).toBeVisible();
    await axeBoth(page, 'delete VM confirmation', axe);
    await page.keyboard.press('Escape');
    await visit(page, 'vms');
    await page.keyboard.press('Control+k');
    await expect(page.getByRole('dialog', { name: 'Command palette' })).toBeVisible();
    await axeBoth(page, 'command palette', axe);
    await page.keyboard.press('Escape');

    // Running, then paused: their controls.
    await call(nova, 'vm.start', { name: VM });
    await call(nova, 'capsule.start', { name: CAPSULE });
    await waitVmState(nova, 'running');
    await checkPages('running');
    // Every page again with the VM running: the serial console and live overview are only there now.
    await judgeTheRest('running', ['vm', 'vmGraphs', 'vmSerial', 'vmSnapshots', 'vmSettings']);
    await call(nova, 'vm.pause', { name: VM });
    await call(nova, 'capsule.pause', { name: CAPSULE });
    await waitVmState(nova, 'paused');
    await checkPages('paused');
    await call(nova, 'capsule.stop', { name: CAPSULE, force: true });
    await call(nova, 'vm.stop', { name: VM, force: true });
    await waitVmState(nova, 'stopped');

    expect(missing).toEqual([]);
    expect(axe).toEqual([]);
    // Every row with a UI in this branch was looked for, except the mid-operation ones.
    const notChecked = all.filter((w) => !NOT_HERE.includes(w.state) && !checked.has(`${w.page}|${w.method}|${w.state ?? ''}`));
    expect(notChecked).toEqual([]);
    expect(pageProblems).toEqual([]);
  });

  test('the overview shows the network the running VM is on and its DHCP address; graph axes show clock time and CPU to 100 % per vCPU', async ({ page, nova, pageProblems }) => {
    test.setTimeout(180_000);
    const shell = new AppShell(page);
    await shell.open(`${nova.url}#/vms/${VM}`);
    await expect(shell.heading).toHaveText(VM);
    // Stopped: the settings' network, said as where it will go.
    await expect(page.locator('.vm-facts')).toContainText(`joins ${NET} when it starts`);
    await expect(page.locator('.vm-facts')).toContainText('Initrd');

    await call(nova, 'vm.start', { name: VM });
    const network = page.getByTestId('vm-runtime-network');
    await expect(network).toContainText(NET, { timeout: STATE_TIMEOUT_MS });
    const info = VmInfoSchema.parse(await callOk(nova.origin, nova.token, 'vm.get', { name: VM }));
    const nic = info.nics?.[0];
    expect(nic?.network).toBe(NET);
    await expect(network).toContainText(nic!.mac);
    // The guest's udhcpc asks in the background after boot; the lease then shows by MAC.
    const addresses = page.getByTestId('vm-addresses');
    await expect(addresses).toContainText(new RegExp(`${SUBNET.replace(/\./g, '\\.')}\\.\\d+`), { timeout: 90_000 });
    const leases = (await callOk(nova.origin, nova.token, 'network.leases', { network: NET })) as { leases: Array<{ mac: string; address: string }> };
    const lease = leases.leases.find((l) => l.mac.toLowerCase() === nic!.mac.toLowerCase());
    expect(lease).toBeDefined();
    await expect(addresses).toContainText(lease!.address);

    // The VM's graphs: 1 vCPU, so the CPU axis ends at 100 %; the time axis speaks clock time.
    await page.evaluate(`location.hash = ${JSON.stringify(`#/vms/${VM}/graphs`)}`);
    const cpu = page.locator('figure[data-chart="cpu"]');
    await expect(cpu).not.toHaveAttribute('data-points', '0', { timeout: 20_000 });
    await expect(cpu.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').last()).toHaveText('100%');
    await expect(cpu).toHaveAttribute('data-y-max', '100');
    const times = cpu.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value');
    await expect(times.first()).toHaveText(/^\d{2}:\d{2}:\d{2}$/);
    expect(await times.count()).toBeGreaterThanOrEqual(3);
    // One hour: hours and minutes, over the whole hour even though the VM ran a minute.
    await page.getByRole('radio', { name: '1 hour' }).click();
    await expect(times.first()).toHaveText(/^\d{2}:\d{2}$/);

    // A capsule limited to half a CPU: the same axis (100 %), and a network graph.
    await call(nova, 'capsule.start', { name: CAPSULE });
    await page.evaluate(`location.hash = ${JSON.stringify(`#/capsules/${CAPSULE}/graphs`)}`);
    const capsuleCpu = page.locator('figure[data-chart="cpu"]');
    await expect(capsuleCpu).not.toHaveAttribute('data-points', '0', { timeout: 20_000 });
    await expect(capsuleCpu).toHaveAttribute('data-y-max', '100');
    await expect(capsuleCpu.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').last()).toHaveText('100%');
    await expect(capsuleCpu.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').first()).toHaveText(/^\d{2}:\d{2}:\d{2}$/);
    await expect(page.locator('figure[data-chart="network"]')).toBeVisible();

    await call(nova, 'capsule.stop', { name: CAPSULE, timeoutSec: 0 });
    await call(nova, 'vm.stop', { name: VM, force: true });
    await waitVmState(nova, 'stopped');
    expect(pageProblems).toEqual([]);
  });
});
