// Page object for the sections that are planned but not built yet.
import type { Locator, Page } from '@playwright/test';
import { AppShell, type SectionName } from './app-shell.js';

export class ComingSoonPage extends AppShell {
  constructor(page: Page) {
    super(page);
  }

  notice(section: SectionName): Locator {
    return this.page.getByRole('region', { name: `${section}: coming soon` });
  }
}
