// Page object for the Devices page: IOMMU group panels, each device's row, its
// preflight, and the prepare dialog with its dry-run writes. Found by role and name.
import type { Locator, Page } from '@playwright/test';
import { AppShell } from './app-shell.js';

export class DevicesPage extends AppShell {
  readonly iommuNotice: Locator;
  readonly prepareDialog: Locator;
  readonly applyWrites: Locator;
  readonly releaseWrites: Locator;
  readonly apply: Locator;

  constructor(page: Page) {
    super(page);
    this.iommuNotice = page.getByRole('status').filter({ hasText: 'The IOMMU is off' });
    this.prepareDialog = page.getByRole('dialog', { name: /^Prepare .* for passthrough$/ });
    this.applyWrites = this.prepareDialog.getByRole('list', { name: 'Writes Apply makes' }).getByRole('listitem');
    this.releaseWrites = this.prepareDialog.getByRole('list', { name: 'Writes Release makes' }).getByRole('listitem');
    this.apply = this.prepareDialog.getByRole('button', { name: 'Apply' });
  }

  group(n: number | null): Locator {
    return this.page.getByRole('region', { name: n === null ? 'Not in an IOMMU group' : `IOMMU group ${n}` });
  }

  row(address: string): Locator {
    return this.page.locator(`tr[data-address="${address}"]`);
  }

  preflight(address: string): Locator {
    return this.page.getByRole('list', { name: `Preflight of ${address}` });
  }

  async openPreflight(address: string): Promise<void> {
    await this.page.getByRole('button', { name: `Preflight of ${address}` }).click();
  }

  async prepare(address: string): Promise<void> {
    await this.page.getByRole('button', { name: `Prepare for passthrough: ${address}` }).click();
  }

  release(group: number): Locator {
    return this.group(group).getByRole('button', { name: 'Release' });
  }

  confirmRelease(group: number): Locator {
    return this.page.getByRole('alertdialog', { name: `Release IOMMU group ${group}?` }).getByRole('button', { name: 'Release' });
  }
}
