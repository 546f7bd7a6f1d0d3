// Page objects for the Images section: the two lists, the operations under way shown
// in place above them, and the import-disk dialog. Found by role and label.
import type { Locator, Page } from '@playwright/test';
import { ActivityPanel, type OperationCard } from './activity-panel.js';
import { AppShell } from './app-shell.js';

export class ImportDiskDialog {
  readonly root: Locator;
  readonly path: Locator;
  readonly name: Locator;
  readonly submit: Locator;
  /** The helper's refusal, shown whole inside the dialog. */
  readonly refusal: Locator;
  readonly showOperation: Locator;

  constructor(page: Page) {
    this.root = page.getByRole('dialog', { name: 'Import a disk' });
    this.path = this.root.getByLabel('Disk file on the host');
    this.name = this.root.getByLabel('Name', { exact: true });
    this.submit = this.root.getByRole('button', { name: /^(Import|Starting…)$/ });
    this.refusal = this.root.getByRole('alert');
    this.showOperation = this.root.getByRole('button', { name: 'Show the operation' });
  }
}

export class ImagesPage extends AppShell {
  readonly importDisk: Locator;
  readonly dialog: ImportDiskDialog;
  readonly vmImages: Locator;
  /** Image operations shown in place, above the lists. */
  readonly inPlace: Locator;

  constructor(page: Page) {
    super(page);
    this.importDisk = page.getByRole('button', { name: 'Import disk' });
    this.dialog = new ImportDiskDialog(page);
    this.vmImages = page.getByRole('region', { name: 'VM images' });
    this.inPlace = page.getByRole('region', { name: 'Image operations' });
  }

  /** The card of an operation on "Image NAME", shown in place on this page. */
  operationOn(resource: string): OperationCard {
    return new ActivityPanel(this.page).operationOn(resource, this.inPlace);
  }

  imageRow(name: string): Locator {
    return this.page.locator(`tr[data-image="${name}"]`);
  }

  /** Starts a disk import from the dialog; resolves once the dialog has handed it over. */
  async startImport(path: string, name: string): Promise<void> {
    await this.importDisk.click();
    await this.dialog.path.fill(path);
    await this.dialog.name.fill(name);
    await this.dialog.submit.click();
  }
}
