// Page objects for the virtual machine pages: the list, the create wizard, one VM's
// page with its tabs, and the console window. Found by role and label, as a user would.
import { expect, type Locator, type Page } from '@playwright/test';
import { ActivityPanel, type OperationCard } from './activity-panel.js';
import { AppShell } from './app-shell.js';

export class VmListPage extends AppShell {
  readonly table: Locator;
  readonly newVm: Locator;

  constructor(page: Page) {
    super(page);
    this.table = page.getByRole('table', { name: 'Virtual machines' });
    this.newVm = page.getByRole('link', { name: /^(New VM|Create your first VM)$/ }).first();
  }

  row(name: string): Locator {
    return this.page.locator(`tr[data-vm="${name}"]`);
  }

  state(name: string): Locator {
    return this.row(name).locator('.vm-state');
  }

  /** From `nova web`'s URL through the list to one VM's page. */
  async openVm(url: string, name: string): Promise<void> {
    await this.open(url);
    await this.goTo('Virtual machines');
    await this.row(name).getByRole('link', { name }).click();
  }
}

export interface KernelVmInput {
  readonly name: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly cmdline: string;
  readonly memory: string;
  readonly diskSize: string;
}

export class VmWizardPage extends AppShell {
  readonly form: Locator;
  readonly create: Locator;

  constructor(page: Page) {
    super(page);
    this.form = page.getByRole('form', { name: 'New virtual machine' });
    this.create = this.form.getByRole('button', { name: /^(Create VM|Creating…)$/ });
  }

  field(label: string): Locator {
    return this.form.getByLabel(label, { exact: true });
  }

  /** The error shown beside a field, by the field's label. */
  errorOf(label: string): Locator {
    return this.form.locator(`[data-error-for="${label}"]`);
  }

  /** A library picker's file outside the library: "A file on the host…", then its path typed. */
  async typePath(label: string, path: string): Promise<void> {
    await this.field(label).selectOption({ label: 'A file on the host…' });
    await this.form.getByLabel(`${label} path`, { exact: true }).fill(path);
  }

  /** A library picker's image, chosen by the name it is listed under. */
  async pick(label: string, image: string): Promise<void> {
    const option = await this.field(label).locator('option', { hasText: new RegExp(`^${image} \\(`) }).textContent();
    await this.field(label).selectOption({ label: option ?? image });
  }

  async fillKernelVm(input: KernelVmInput): Promise<void> {
    await this.field('Name').fill(input.name);
    await this.form.getByRole('radio', { name: /Kernel \(direct boot\)/ }).check();
    await this.typePath('Kernel', input.kernel);
    await this.typePath('Initrd', input.initrd);
    await this.field('Kernel command line').fill(input.cmdline);
    await this.field('Machine').selectOption('q35');
    await this.field('Memory').fill(input.memory);
    // A qcow2 disk: snapshots live in it.
    await this.field('New disk size').fill(input.diskSize);
    await this.field('Accelerator').selectOption('tcg');
  }
}

export class VmDetailPage extends AppShell {
  readonly state: Locator;

  constructor(page: Page, readonly name: string) {
    super(page);
    this.state = page.locator('.page-header .vm-state');
  }

  async tab(label: 'Overview' | 'Graphs' | 'Serial console' | 'Snapshots' | 'Settings'): Promise<void> {
    await this.page.getByRole('navigation', { name: `Sections of ${this.name}` }).getByRole('link', { name: label }).click();
  }

  action(label: 'Start' | 'Stop' | 'Pause' | 'Resume' | 'Reset' | 'Force off' | 'Open console'): Locator {
    return this.page.getByRole('group', { name: `Actions for ${this.name}` }).getByRole('button', { name: label, exact: true });
  }

  chart(id: 'cpu' | 'memory' | 'disk' | 'network'): Locator {
    return this.page.locator(`figure[data-chart="${id}"]`);
  }

  async chartPoints(id: 'cpu' | 'memory' | 'disk' | 'network'): Promise<number> {
    return Number(await this.chart(id).getAttribute('data-points'));
  }

  get serialTerminal(): Locator {
    return this.page.getByTestId('serial-terminal');
  }

  snapshot(name: string): Locator {
    return this.page.locator(`li[data-snapshot="${name}"]`);
  }

  /** The card of the newest operation on this VM (with that title when given), shown in place on its page. */
  operationInPlace(title?: string): OperationCard {
    return new ActivityPanel(this.page).operationOn(`VM ${this.name}`, this.page.getByRole('region', { name: `Operations on ${this.name}` }), title);
  }

  async takeSnapshot(name: string, description: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Take a snapshot' });
    await form.getByLabel('Snapshot name').fill(name);
    await form.getByLabel('Snapshot description').fill(description);
    await form.getByRole('button', { name: 'Take snapshot' }).click();
  }

  /** The confirmation a destructive action asks through, by its title. */
  confirmation(title: string): Locator {
    return this.page.getByRole('alertdialog', { name: title });
  }

  async restoreSnapshot(name: string): Promise<void> {
    await this.snapshot(name).getByRole('button', { name: `Restore ${name}` }).click();
    const confirm = this.confirmation(`Restore '${name}'?`);
    await expect(confirm).toContainText('will be lost');
    await confirm.getByRole('button', { name: `Restore ${name}` }).click();
  }

  /** Settings > Delete, confirming the forced delete of a running VM. */
  async deleteForced(): Promise<void> {
    await this.tab('Settings');
    await this.page.getByRole('button', { name: `Delete ${this.name}…` }).click();
    const confirm = this.confirmation(`Delete ${this.name}?`);
    await expect(confirm).toContainText('forced off at once');
    await confirm.getByRole('button', { name: 'Force off and delete' }).click();
  }
}

export class ConsoleWindowPage {
  readonly status: Locator;
  readonly screen: Locator;
  readonly sendKeys: Locator;

  constructor(readonly page: Page) {
    this.status = page.locator('.console__link');
    this.screen = page.getByTestId('vnc-screen');
    this.sendKeys = page.getByRole('button', { name: 'Send keys' });
  }

  /** Variance of the noVNC canvas's grey levels: 0 for a blank screen. */
  async screenVariance(): Promise<number> {
    return this.screen.locator('canvas').evaluate((el) => {
      // e2e compiles without the DOM library: the canvas API, as far as used here.
      type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
      const canvas = el as unknown as Canvas;
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0 || canvas.height === 0) return 0;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let sum = 0;
      let sumSq = 0;
      const n = data.length / 4;
      for (let i = 0; i < data.length; i += 4) {
        const grey = (data[i]! + data[i + 1]! + data[i + 2]!) / 3;
        sum += grey;
        sumSq += grey * grey;
      }
      const mean = sum / n;
      return sumSq / n - mean * mean;
    });
  }
}
