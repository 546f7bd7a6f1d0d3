// Page object for the Host page: the summary header, the accelerator callout, the
// check groups and items, Re-check and its progress, and the error panel.
import type { Locator, Page } from '@playwright/test';
import { AppShell } from './app-shell.js';

export type StatusText = 'OK' | 'Warning' | 'Failed';

/** One check item on the page, found by its id from the report. */
export class CheckItemRow {
  readonly root: Locator;
  readonly label: Locator;
  readonly status: Locator;

  constructor(page: Page, readonly id: string) {
    this.root = page.locator(`article[data-check-id="${id}"]`);
    this.label = this.root.getByRole('heading', { level: 3 });
    this.status = this.root.locator('.status-badge');
  }

  /** Evidence lines as in the DOM, folded or not. */
  async evidence(): Promise<string[]> {
    return this.root.locator('.check-item__evidence li').allTextContents();
  }

  async text(): Promise<string> {
    return (await this.root.textContent()) ?? '';
  }
}

export class HostPage extends AppShell {
  readonly summary: Locator;
  readonly hostname: Locator;
  readonly accelerator: Locator;
  readonly ociRuntime: Locator;
  readonly generatedAt: Locator;
  readonly recheckButton: Locator;
  readonly progress: Locator;
  readonly error: Locator;

  constructor(page: Page) {
    super(page);
    this.summary = page.getByRole('region', { name: 'Host summary' });
    this.hostname = this.summary.getByTestId('hostname');
    this.accelerator = page.getByRole('note', { name: 'Accelerator' });
    this.ociRuntime = this.summary.getByTestId('oci-runtime');
    this.generatedAt = this.summary.getByTestId('generated-at');
    this.recheckButton = page.getByRole('button', { name: /^(Re-check|Checking…)$/ });
    this.progress = page.getByRole('progressbar', { name: 'Host check progress' });
    this.error = page.getByRole('alert');
  }

  /** The app opens on the Dashboard: from there, the Host page by its sidebar link. */
  override async open(url: string): Promise<void> {
    await super.open(url);
    await this.goTo('Host');
  }

  /** Waits until a report (cached or fresh) is on screen; the first probe can take a while. */
  async waitForReport(timeoutMs = 60_000): Promise<void> {
    await this.summary.waitFor({ state: 'visible', timeout: timeoutMs });
  }

  group(title: string): Locator {
    return this.page.getByRole('region', { name: title, exact: true });
  }

  item(id: string): CheckItemRow {
    return new CheckItemRow(this.page, id);
  }

  /** The report's generatedAt, as the page shows it (the <time datetime> value). */
  async generatedAtIso(): Promise<string> {
    return (await this.generatedAt.getAttribute('datetime')) ?? '';
  }

  async recheck(): Promise<void> {
    await this.recheckButton.click();
  }
}
