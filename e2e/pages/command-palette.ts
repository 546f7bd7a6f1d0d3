// Page object for the command palette: its dialog, the command field (a combobox) and
// the highlighted option, found by role as a keyboard or screen-reader user meets them.
import type { Locator, Page } from '@playwright/test';

export class CommandPaletteDialog {
  readonly dialog: Locator;
  readonly field: Locator;
  readonly options: Locator;
  readonly active: Locator;

  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog', { name: 'Command palette' });
    this.field = this.dialog.getByRole('combobox', { name: 'Command' });
    this.options = this.dialog.getByRole('option');
    this.active = this.dialog.getByRole('option', { selected: true });
  }

  async openWithKeyboard(): Promise<void> {
    await this.page.keyboard.press('Control+k');
  }

  /** Types into the (focused) field key by key, as a user does. */
  async type(text: string): Promise<void> {
    await this.page.keyboard.type(text);
  }
}
