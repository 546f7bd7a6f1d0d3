// Page object for the Consoles card of a VM's overview: the "Open in remote-viewer" button,
// the note it leaves (status when the viewer opened, alert when it could not) and the
// remote-viewer command shown for any other shell. Found by role, as a user would.
import type { Locator, Page } from '@playwright/test';

export class VmConsolesCard {
  readonly card: Locator;
  readonly openInViewer: Locator;
  /** "remote-viewer is open (pid N); ..." */
  readonly viewerOpened: Locator;
  readonly viewerFailed: Locator;
  readonly spiceCommand: Locator;

  constructor(readonly page: Page) {
    this.card = page.getByRole('region', { name: 'Consoles' });
    this.openInViewer = this.card.getByRole('button', { name: /^(Open in remote-viewer|Opening…)$/ });
    this.viewerOpened = this.card.getByRole('status').filter({ hasText: 'remote-viewer is open' });
    this.viewerFailed = this.card.getByRole('alert');
    this.spiceCommand = this.card.locator('.vm-spice__command code');
  }

  /** The viewer's pid from the note, once it says the viewer opened. */
  async openedViewerPid(): Promise<number> {
    const text = (await this.viewerOpened.textContent()) ?? '';
    const pid = /\(pid (\d+)\)/.exec(text)?.[1];
    if (!pid) throw new Error(`the page said ${JSON.stringify(text)}, without a viewer pid`);
    return Number(pid);
  }
}
