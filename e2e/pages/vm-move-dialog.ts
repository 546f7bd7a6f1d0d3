// Page object for the "Move to host…" dialog of a VM's or a capsule's page: the destination
// choices, the listen address, Move and Cancel, and where the move stands or how it ended.
import type { Locator, Page } from '@playwright/test';

export class VmMoveDialog {
  readonly dialog: Locator;
  readonly listen: Locator;
  readonly postcopy: Locator;
  readonly move: Locator;
  readonly cancel: Locator;
  /** The body while the move runs: data-move-step says where it stands. */
  readonly running: Locator;
  readonly outcome: Locator;

  constructor(readonly page: Page, readonly name: string) {
    this.dialog = page.getByRole('dialog', { name: `Move ${name} to another host` });
    this.listen = this.dialog.getByLabel('Address the destination listens on');
    this.postcopy = this.dialog.getByRole('checkbox', { name: 'Post-copy' });
    this.move = this.dialog.getByRole('button', { name: 'Move', exact: true });
    this.cancel = this.dialog.getByRole('button', { name: 'Cancel' });
    this.running = this.dialog.locator('[data-move-step]');
    this.outcome = this.dialog.locator('[data-move-outcome]');
  }

  /** Opens it from the guest page's header. */
  async open(): Promise<void> {
    await this.page.getByRole('button', { name: 'Move to host…' }).click();
  }

  destination(label: string | RegExp): Locator {
    return this.dialog.getByRole('radio', { name: label });
  }

  /**
   * Records every step the dialog shows and each progress text of the send from now on, in
   * the page itself, so a step that shows for a moment is not missed between two polls.
   */
  async recordSteps(): Promise<void> {
    await this.dialog.evaluate((dialog) => {
      // e2e compiles without the DOM library: what is used of it here.
      type El = { querySelector(selector: string): El | null; getAttribute(name: string): string | null };
      type Observer = new (callback: () => void) => { observe(target: unknown, options: object): void };
      const page = globalThis as unknown as { MutationObserver: Observer; novaMoveSeen: string[] };
      const root = dialog as unknown as El;
      const seen: string[] = [];
      page.novaMoveSeen = seen;
      new page.MutationObserver(() => {
        const step = root.querySelector('[data-move-step]');
        if (step) seen.push(`step:${step.getAttribute('data-move-step')}`);
        const bar = root.querySelector('[data-move-step] [role="progressbar"][aria-valuetext]');
        if (bar) seen.push(`bar:${bar.getAttribute('aria-valuetext')}`);
      }).observe(dialog, { subtree: true, childList: true, attributes: true, characterData: true });
    });
  }

  async recordedSteps(): Promise<string[]> {
    return this.page.evaluate(() => (globalThis as unknown as { novaMoveSeen?: string[] }).novaMoveSeen ?? []);
  }
}
